// The Add Source wizard clicked through in the real app against the sandbox's IAM-enforcing
// moto: a least-privilege reader key (made with boto3 as an admin would) passes every check,
// the source is saved, and it appears in the list. A screenshot of every step, and every
// control of each labelled for screen readers.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { sandboxAdmin, waitFor, withSandboxApp } from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const BUCKET = "bucketdesk-sandbox-photos";
const REGION = "ap-northeast-2";

async function type(app, testId, text) {
  const el = await app.byTestId(testId);
  await el.clear();
  await el.sendKeys(text);
}

async function dataStatus(app, testId) {
  return app.execute(
    `const el = document.querySelector('[data-testid="${testId}"]'); return el ? el.dataset.status : null;`,
  );
}

test("wizard: a reader key is verified and saved, and the source is listed", async () => {
  await withSandboxApp({ name: "wizard" }, async (app) => {
    const admin = sandboxAdmin(app.configDir);
    const python = path.join(process.env.BUCKETDESK_VENV, "bin", "python");
    const reader = JSON.parse(
      execFileSync(python, [path.join(here, "make_reader.py"), admin.endpoint, REGION, admin.keyId, admin.secret, BUCKET], {
        encoding: "utf8",
      }),
    );

    await (await app.byTestId("nav-sources")).click();
    await (await app.byTestId("sources-add")).click();
    await app.byTestId("wizard");

    // 1. Provider: the sandbox is an S3-compatible endpoint.
    await (await app.byTestId("wizard-provider-compatible")).click();
    await type(app, "wizard-endpoint", admin.endpoint);
    await type(app, "wizard-region", REGION);
    await app.assertLabelled("wizard step 1");
    await app.screenshot("01-provider");
    await (await app.byTestId("wizard-next")).click();

    // 2. Credentials.
    await type(app, "wizard-key-id", reader.accessKeyId);
    await type(app, "wizard-secret", reader.secretAccessKey);
    await app.assertLabelled("wizard step 2");
    await app.screenshot("02-credentials");
    await (await app.byTestId("wizard-next")).click();

    // 3. Bucket: a reader may not list buckets, so the name is typed; the region is detected.
    await type(app, "wizard-bucket-input", BUCKET);
    await app.waitForText("wizard-detected-region", REGION, { timeout: 20000 });
    await type(app, "wizard-base-path", "사진 모음/");
    await app.assertLabelled("wizard step 3");
    await app.screenshot("03-bucket");
    await (await app.byTestId("wizard-next")).click();

    // 4. Unique identifier.
    await type(app, "wizard-name", "sandbox-photos");
    await app.assertLabelled("wizard step 4");
    await app.screenshot("04-name");
    await (await app.byTestId("wizard-next")).click();

    // 5. Verify: every check passes.
    await (await app.byTestId("wizard-verify-run")).click();
    for (const check of ["identity", "get_bucket_location", "list_bucket", "get_object"]) {
      await waitFor(`check ${check} passed`, async () => (await dataStatus(app, `wizard-check-${check}`)) === "passed", {
        timeout: 30000,
      });
    }
    await app.assertLabelled("wizard step 5");
    await app.screenshot("05-verified");
    await (await app.byTestId("wizard-next")).click();

    // 6. Save: the production CDN URL of a sample image is shown.
    await (await app.byTestId("wizard-save")).click();
    await app.waitForText("wizard-cdn-url", "https://cdn.weekerp.com/image/sandbox-photos/", { timeout: 30000 });
    await app.assertLabelled("wizard step 6");
    await app.screenshot("06-saved");
    await (await app.byTestId("wizard-done")).click();

    await waitFor("the source row", async () =>
      app.execute(`return !!document.querySelector('[data-testid="source-row"][data-name="sandbox-photos"]');`),
    );
    await app.assertTablesFit("sources");
    await app.assertLabelled("the source list");
    await app.screenshot("07-listed");

    // Browse it: the BasePath's folders, a Korean key with spaces, its URLs.
    await (await app.$('[data-testid="source-row"][data-name="sandbox-photos"] [data-testid="source-browse"]')).click();
    await app.byTestId("browser");
    await (await app.$('[data-testid="browser-row"][data-key="2024 여름/"]', { timeout: 20000 })).click();
    await (await app.$('[data-testid="browser-row"][data-key="2024 여름/한강 공원 1.jpg"]', { timeout: 20000 })).click();
    await app.waitForText(
      "object-cdn-url",
      "https://cdn.weekerp.com/image/sandbox-photos/2024%20%EC%97%AC%EB%A6%84/%ED%95%9C%EA%B0%95%20%EA%B3%B5%EC%9B%90%201.jpg",
      { timeout: 20000 },
    );
    await (await app.byTestId("presign-generate")).click();
    await app.waitForText("presign-url", "X-Amz-Expires=3600", { timeout: 20000 });
    await app.assertLabelled("the browser");
    await app.screenshot("08-browser");

    // The CDN preview of that photo through the in-app loopback server: the default card
    // preset (400×300 WebP, cover), its bytes and dimensions, and the original beside it.
    await app.execute(`document.querySelector('[data-testid="cdn-preview"]').scrollIntoView({ block: "start" });`);
    await app.waitForText("preview-result", "400×300", { timeout: 60000 });
    const result = await (await app.byTestId("preview-result")).text();
    assert.match(result, /image\/webp/, `the preview is WebP: ${result}`);
    await waitFor("the original to load from the local server", async () =>
      app.execute(`const img = document.querySelector('[data-testid="preview-original"]'); return !!img && img.complete && img.naturalWidth > 0;`),
    { timeout: 60000 });
    const production = await (await app.byTestId("preview-production-url")).text();
    assert.ok(production.startsWith("https://cdn.weekerp.com/image/sandbox-photos/"), production);
    assert.ok(!production.includes("token"), "no local token in the production URL");
    await type(app, "preview-w", "0");
    await app.waitForText("preview-problem", "w", { timeout: 5000 });
    await type(app, "preview-w", "240");
    await app.waitForText("preview-result", "240×", { timeout: 60000 });
    await app.assertLabelled("the CDN preview");
    await app.screenshot("09-cdn-preview");
    await waitFor("a row thumbnail from the local CDN", async () =>
      app.execute(`return [...document.querySelectorAll('.vrow .thumb')].some((img) => img.complete && img.naturalWidth === 64);`),
    { timeout: 60000 });

    const saved = readFileSync(path.join(app.configDir, "sandbox", "config", "config.json"), "utf8");
    const source = JSON.parse(saved).sources.find((s) => s.name === "sandbox-photos");
    assert.ok(source, `the source is in the sandbox config: ${saved}`);
    assert.equal(source.basePath, "/사진 모음");
    assert.equal(source.region, REGION);
    assert.ok(!saved.includes(reader.secretAccessKey), "the config never holds the secret");
  });
});
