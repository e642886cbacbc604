// The sandbox: with no AWS credentials and BUCKETDESK_SANDBOX=auto (what `make run` sets),
// the app starts its local S3 + IAM endpoint (moto) and says clearly that it uses it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

import { waitFor, withApp } from "./harness.mjs";

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
