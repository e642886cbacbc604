// The sandbox: with no AWS credentials and BUCKETDESK_SANDBOX=auto (what `make run` sets),
// the app starts its local S3 + IAM endpoint (moto) and says clearly that it uses it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { withApp } from "./harness.mjs";

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
  });
});
