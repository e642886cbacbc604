// The local CDN's helpers under the preview, in the real app against the sandbox: "compare
// formats" renders JPEG, WebP and AVIF of a photo through the in-app local CDN and scores
// them (the core marks the smallest above the threshold), and the srcset generator gives
// production HTML to copy. Screenshots in light and dark.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { sandboxAdmin, waitFor, withSandboxApp } from "./harness.mjs";

const BUCKET = "bucketdesk-sandbox-photos";
const REGION = "ap-northeast-2";
const PHOTO = "2024 여름/한강 공원 1.jpg";
const here = path.dirname(fileURLToPath(import.meta.url));

async function type(app, testId, text) {
  const el = await app.byTestId(testId);
  await el.clear();
  await el.sendKeys(text);
}

/** The wizard, as wizard.test.mjs clicks it, with a least-privilege reader made with boto3. */
async function addSandboxSource(app) {
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
  await (await app.byTestId("wizard-provider-compatible")).click();
  await type(app, "wizard-endpoint", admin.endpoint);
  await type(app, "wizard-region", REGION);
  await (await app.byTestId("wizard-next")).click();
  await type(app, "wizard-key-id", reader.accessKeyId);
  await type(app, "wizard-secret", reader.secretAccessKey);
  await (await app.byTestId("wizard-next")).click();
  await type(app, "wizard-bucket-input", BUCKET);
  await app.waitForText("wizard-detected-region", REGION, { timeout: 20000 });
  await type(app, "wizard-base-path", "사진 모음/");
  await (await app.byTestId("wizard-next")).click();
  await type(app, "wizard-name", "sandbox-photos");
  await (await app.byTestId("wizard-next")).click();
  await (await app.byTestId("wizard-verify-run")).click();
  for (const check of ["identity", "get_bucket_location", "list_bucket", "get_object"]) {
    await waitFor(`check ${check} passed`, () =>
      app.execute(`const el = document.querySelector('[data-testid="wizard-check-${check}"]'); return !!el && el.dataset.status === "passed";`),
    { timeout: 30000 });
  }
  await (await app.byTestId("wizard-next")).click();
  await (await app.byTestId("wizard-save")).click();
  await app.waitForText("wizard-cdn-url", "https://cdn.weekerp.com/image/sandbox-photos/", { timeout: 30000 });
  await (await app.byTestId("wizard-done")).click();
}

const scrollTo = (app, testId) =>
  app.execute(`document.querySelector('[data-testid="${testId}"]').scrollIntoView({ block: "start" });`);

test("cdn: compare formats scores JPEG, WebP and AVIF from the local CDN, and the srcset generator gives production HTML", async () => {
  await withSandboxApp({ name: "cdn" }, async (app) => {
    await addSandboxSource(app);
    await (await app.$('[data-testid="source-row"][data-name="sandbox-photos"] [data-testid="source-browse"]', { timeout: 20000 })).click();
    await (await app.$('[data-testid="browser-row"][data-key="2024 여름/"]', { timeout: 20000 })).click();
    await (await app.$(`[data-testid="browser-row"][data-key="${PHOTO}"]`, { timeout: 20000 })).click();
    await app.waitForText("preview-result", "400×300", { timeout: 60000 });

    // Compare formats at the preview's card size (400×300, cover).
    await scrollTo(app, "cdn-compare");
    await (await app.byTestId("compare-run")).click();
    await app.waitForText("compare-summary", "400×300", { timeout: 120000 });
    for (const format of ["jpeg", "webp", "avif"]) {
      await waitFor(`the ${format} image from the local CDN`, () =>
        app.execute(
          `const img = document.querySelector('[data-testid="compare-image-${format}"]'); return !!img && img.complete && img.naturalWidth === 400 && img.src.includes("f=${format}") && img.src.includes("token=");`,
        ),
      { timeout: 30000 });
      const ssim = Number(await (await app.byTestId(`compare-ssim-${format}`)).text());
      assert.ok(ssim > 0.8 && ssim <= 1, `${format} SSIM ${ssim}`);
      const bytes = await (await app.byTestId(`compare-bytes-${format}`)).text();
      assert.match(bytes, /^\d+(\.\d)? (B|KB)$/, `${format} bytes: ${bytes}`);
    }
    const chosen = await app.execute(`return document.querySelectorAll('[data-testid="compare-chosen"]').length;`);
    assert.equal(chosen, 1, "one format is marked the smallest above the threshold");
    await app.screenshot("01-compare-light");
    await app.setTheme("dark");
    await app.screenshot("02-compare-dark");
    await app.setTheme("light");

    // An impossible threshold: the core says so, and no format is marked.
    await type(app, "compare-threshold", "1");
    await (await app.byTestId("compare-run")).click();
    await app.byTestId("compare-none", { timeout: 120000 });

    // srcset: the default widths, then others; production URLs, never the token.
    await scrollTo(app, "cdn-srcset");
    await app.waitForText("srcset-img", "https://cdn.weekerp.com/image/sandbox-photos/", { timeout: 20000 });
    await type(app, "srcset-widths", "480, 960, 1440");
    await type(app, "srcset-alt", "한강 공원 \"여름\"");
    await app.waitForText("srcset-img", "1440w", { timeout: 20000 });
    const img = await (await app.byTestId("srcset-img")).text();
    assert.ok(img.includes("/image/sandbox-photos/2024%20%EC%97%AC%EB%A6%84/"), img);
    assert.ok(img.includes("?w=480&amp;f=webp 480w"), img);
    assert.ok(img.includes('alt="한강 공원 &quot;여름&quot;"'), img);
    assert.ok(!img.includes("token"), "no token in production HTML");
    const picture = await (await app.byTestId("srcset-picture")).text();
    assert.match(picture, /^<picture>\n {2}<source type="image\/avif"/);
    await scrollTo(app, "cdn-srcset");
    await app.screenshot("03-srcset-light");
    await app.setTheme("dark");
    await app.screenshot("04-srcset-dark");
    await app.setTheme("light");

    await type(app, "srcset-widths", "320, 0");
    await app.waitForText("srcset-problem", "'0'", { timeout: 20000 });
  });
});
