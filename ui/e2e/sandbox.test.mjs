// The sandbox: with no AWS credentials and BUCKETDESK_SANDBOX=auto (what `make run` sets),
// the app starts its local S3 + IAM endpoint (moto) and says clearly that it uses it. Then a
// newcomer's first source, as the first screen leads to it: the sandbox offer, the bucket
// picker on the admin's credentials, the policy shown before "Create the reader", step 6
// with the live image, and the browser's grid. Light and dark screenshots of each, and
// every control on each screen labelled for screen readers.
import assert from "node:assert/strict";
import { test } from "node:test";

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

import { waitFor, withApp } from "./harness.mjs";

const BUCKET = "bucketdesk-sandbox-photos";
const REGION = "ap-northeast-2";

/** A light and a dark screenshot of the screen as it is. */
async function bothThemes(app, step) {
  await app.setTheme("light");
  await app.screenshot(step);
  await app.setTheme("dark");
  await app.screenshot(`${step}-dark`);
  await app.setTheme("light");
}

async function type(app, testId, text) {
  const el = await app.byTestId(testId);
  await el.clear();
  await el.sendKeys(text);
}

test("sandbox: without AWS credentials the app runs on the local endpoint and says so", async () => {
  // HOME is a fresh temp dir (scripts/with-keyring.sh) and the harness drops AWS_*
  // variables, so no credentials can be found.
  await withApp({ name: "sandbox", env: { BUCKETDESK_SANDBOX: "auto" } }, async (app) => {
    // Starting moto and seeding the photo bucket takes a few seconds on two cores.
    // It says "starting" first, then names the endpoint once moto is up and seeded.
    const banner = await app.byTestId("sandbox-banner", { timeout: 30000 });
    await app.waitForText("sandbox-banner", "127.0.0.1", { timeout: 60000 });
    const text = await banner.text();
    assert.match(text, /127\.0\.0\.1:\d+/, `the banner should name the local endpoint; it reads "${text}"`);
    await app.byTestId("app-title");
    await app.screenshot("01-banner");

    // The empty first screen explains what a source is and offers the sandbox bucket.
    await app.waitForText("sources-add-sandbox", BUCKET, { timeout: 20000 });
    await app.assertLabelled("the first screen");
    await bothThemes(app, "02-first-screen");

    // The offer opens the wizard on the reader path with the bucket filled in.
    await (await app.byTestId("sources-add-sandbox")).click();
    await app.assertLabelled("wizard step 1");
    await (await app.byTestId("wizard-next")).click();
    assert.equal(await (await app.byTestId("wizard-mode-reader")).property("checked"), true, "the reader path");
    await app.assertLabelled("wizard step 2 (reader)");
    await (await app.byTestId("wizard-next")).click();

    // Step 3: the admin may list buckets, so there is a picker, with the sandbox bucket
    // chosen; its region is detected.
    const picker = await app.byTestId("wizard-bucket-select", { timeout: 20000 });
    assert.equal(await picker.property("value"), BUCKET, "the offered bucket is the one chosen");
    await app.waitForText("wizard-detected-region", REGION, { timeout: 20000 });
    await app.assertLabelled("wizard step 3 (bucket picker)");
    await bothThemes(app, "03-bucket-picker");
    await (await app.byTestId("wizard-next")).click();

    await type(app, "wizard-name", "sandbox-photos");
    await app.assertLabelled("wizard step 4");
    await (await app.byTestId("wizard-next")).click();

    // Step 5: the exact policy that will be attached, with the lint's findings and Copy.
    await app.waitForText("wizard-policy-document", `arn:aws:s3:::${BUCKET}/*`, { timeout: 20000 });
    const policy = JSON.parse(await (await app.byTestId("wizard-policy-document")).text());
    assert.deepEqual(
      policy.Statement.map((s) => s.Resource),
      [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
      "each action only on the resource it applies to",
    );
    await app.waitForText("wizard-policy-findings", "no findings");
    await app.byTestId("wizard-policy-copy");
    await app.assertLabelled("wizard step 5 (policy preview)");
    await app.execute(`document.querySelector('[data-testid="wizard-policy"]').scrollIntoView({ block: "start" });`);
    await bothThemes(app, "04-policy-preview");

    // Step 6: created, verified, saved; the sample image live from the local CDN.
    await (await app.byTestId("wizard-create-reader")).click();
    await app.waitForText("wizard-cdn-url", "https://cdn.weekerp.com/image/sandbox-photos/", { timeout: 90000 });
    await waitFor("the live sample image to load from the local CDN", async () =>
      app.execute(`const img = document.querySelector('[data-testid="wizard-sample-preview"]'); return !!img && img.complete && img.naturalWidth > 0;`),
    { timeout: 60000 });
    await app.assertLabelled("wizard step 6");
    await app.execute(`document.querySelector('[data-testid="wizard-sample-preview"]').scrollIntoView({ block: "center" });`);
    await bothThemes(app, "05-live-image");
    await (await app.byTestId("wizard-done")).click();

    // The list, then the browser in grid view with thumbnails from the local CDN.
    await app.$('[data-testid="source-row"][data-name="sandbox-photos"]', { timeout: 20000 });
    await app.assertTablesFit("sources");
    await app.assertLabelled("the source list");
    await (await app.$('[data-testid="source-row"][data-name="sandbox-photos"] [data-testid="source-browse"]')).click();
    await app.$('[data-testid="browser-row"][data-key="사진 모음/"]', { timeout: 20000 });
    await app.assertLabelled("the browser (list)");
    await bothThemes(app, "06-browser-list");
    await (await app.$('[data-testid="browser-row"][data-key="사진 모음/"]')).click();
    await (await app.$('[data-testid="browser-row"][data-key="사진 모음/2024 여름/"]', { timeout: 20000 })).click();
    await app.$('[data-testid="browser-row"][data-key="사진 모음/2024 여름/한강 공원 1.jpg"]', { timeout: 20000 });
    await (await app.byTestId("browser-view-grid")).click();
    await waitFor("grid thumbnails from the local CDN", async () =>
      app.execute(`const tiles = [...document.querySelectorAll('[data-testid="browser-tile"] img')]; return tiles.length > 0 && tiles.filter((img) => img.complete && img.naturalWidth > 0).length >= Math.min(3, tiles.length);`),
    { timeout: 60000 });
    await app.assertLabelled("the browser (grid)");
    // A tile is ticked like a row: the download has something to take.
    await (await app.$('[data-testid="browser-tile"][data-key="사진 모음/2024 여름/한강 공원 1.jpg"] [data-testid="browser-tile-check"]')).click();
    await waitFor("the download to take the ticked tile", async () =>
      app.execute(`return document.querySelector('[data-testid="download"]').disabled === false && document.querySelector('[data-testid="browser-tile"][data-key="사진 모음/2024 여름/한강 공원 1.jpg"] [data-testid="browser-tile-check"]').checked;`),
    );
    assert.equal(await app.execute(`return !!document.querySelector('[data-testid="object-panel"]');`), false, "ticking a tile does not open it");
    await bothThemes(app, "07-browser-grid");

    // Quitting the app (closing its only window) stops the sandbox: no moto process left.
    const port = text.match(/127\.0\.0\.1:(\d+)/)[1];
    const pids = execFileSync("pgrep", ["-f", `moto_server -H 127.0.0.1 -p ${port}`], { encoding: "utf8" })
      .trim()
      .split("\n")
      .filter(Boolean);
    assert.equal(pids.length, 1, `one moto process serves port ${port}`);
    const alive = () => existsSync(`/proc/${pids[0]}`);
    assert.ok(alive());
    await app.command("DELETE", "/window").catch(() => {});
    await waitFor(`moto (pid ${pids[0]}) to stop after the app quits`, async () => !alive(), { timeout: 20000 });
  });
});
