// The Buckets screen in the real app against the sandbox's moto, with the sandbox's admin:
// create a bucket (Block Public Access and the abort rule on by default), open Block Public
// Access, apply the public-read template (refused while BlockPublicPolicy is on, then saved
// once protection is turned off with the typed acknowledgement, and checked), empty the
// bucket (plan first, then progress) and delete it. Screenshots of each step, light and dark.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { sandboxAdmin, waitFor, withSandboxApp } from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const BUCKET = "e2e-public-images";
const REGION = "ap-northeast-2";
const OBJECTS = 40;
const UPLOADS = 2;

async function type(app, testId, text) {
  const el = await app.byTestId(testId);
  await app.execute(`document.querySelector('[data-testid="${testId}"]').scrollIntoView({ block: "center" });`);
  await el.clear();
  await el.sendKeys(text);
}

async function click(app, testId) {
  await app.byTestId(testId, { timeout: 30000 });
  await app.execute(`document.querySelector('[data-testid="${testId}"]').scrollIntoView({ block: "center" });`);
  await waitFor(`${testId} to be enabled`, async () =>
    app.execute(`const b = document.querySelector('[data-testid="${testId}"]'); return !!b && !b.disabled;`),
  );
  await (await app.byTestId(testId)).click();
}

async function scrollTo(app, testId) {
  await app.execute(`document.querySelector('[data-testid="${testId}"]').scrollIntoView({ block: "start" });`);
}

test("buckets: create, Block Public Access, public-read policy, empty and delete", async () => {
  await withSandboxApp({ name: "buckets" }, async (app) => {
    await (await app.byTestId("nav-buckets")).click();
    await waitFor("the sandbox bucket's row", async () =>
      app.execute(`return !!document.querySelector('[data-testid="bucket-row"][data-name="bucketdesk-sandbox-photos"]');`),
      { timeout: 30000 },
    );
    await app.assertTablesFit("buckets list");
    await app.screenshot("01-list");

    // Create: the core checks the name as it is typed.
    await click(app, "buckets-create");
    await type(app, "create-name", "E2E_Bad");
    await app.waitForText("create-name-check", "lowercase", { timeout: 10000 });
    await app.screenshot("02-create-bad-name");
    await type(app, "create-name", BUCKET);
    await app.waitForText("create-name-check", "follows every naming rule", { timeout: 10000 });
    assert.equal(await app.execute(`return document.querySelector('[data-testid="create-region"]').value;`), REGION);
    assert.equal(await app.execute(`return document.querySelector('[data-testid="create-bpa"]').checked;`), true);
    assert.equal(await app.execute(`return document.querySelector('[data-testid="create-abort"]').checked;`), true);
    await app.screenshot("03-create-dialog");
    await click(app, "create-run");
    await app.waitForText("buckets-notice", `Created ${BUCKET} in ${REGION}`, { timeout: 30000 });
    await waitFor("the new bucket's row", async () =>
      app.execute(`return !!document.querySelector('[data-testid="bucket-row"][data-name="${BUCKET}"] [data-testid="badge-bpa"]');`),
    );
    await app.assertTablesFit("buckets list with the new bucket");
    await app.screenshot("04-created");

    const admin = sandboxAdmin(app.configDir);
    const python = path.join(process.env.BUCKETDESK_VENV, "bin", "python");
    execFileSync(python, [path.join(here, "put_objects.py"), admin.endpoint, REGION, admin.keyId, admin.secret, BUCKET, String(OBJECTS), String(UPLOADS)]);

    // Open it: Block Public Access, all four on.
    await (await app.$(`[data-testid="bucket-row"][data-name="${BUCKET}"] [data-testid="bucket-open"]`)).click();
    await app.waitForText("lifecycle-abort", "aborted after 7 days", { timeout: 30000 });
    // The four settings render once the core's explanations arrive (a second call after
    // the details), so wait for them rather than reading the form at once.
    await waitFor("the four Block Public Access settings, all on", async () =>
      (await app.execute(`return document.querySelectorAll('[data-testid="bpa-form"] input[type="checkbox"]:checked').length;`)) === 4,
      { timeout: 15000 },
    );
    await app.screenshot("05-bucket-opened");
    await scrollTo(app, "bpa-card");
    await app.screenshot("06-block-public-access");

    // The public-read template: refused before the call while BlockPublicPolicy is on.
    await click(app, "policy-tpl-public-read");
    await app.waitForText("policy-blocked", "BlockPublicPolicy", { timeout: 15000 });
    await app.waitForText("policy-anyone", 'Principal "*"');
    assert.equal(await app.execute(`return document.querySelector('[data-testid="policy-save"]').disabled;`), true);
    await scrollTo(app, "policy-card");
    await app.screenshot("07-policy-refused-before-the-call");

    // The offer: turn protection off, which needs the typed acknowledgement.
    await click(app, "policy-offer-turn-off");
    await click(app, "bpa-all-off");
    await app.waitForText("bpa-ack-box", "may make this bucket public");
    await type(app, "bpa-ack", BUCKET);
    await scrollTo(app, "bpa-card");
    await app.screenshot("08-bpa-off-acknowledged");
    await click(app, "bpa-apply");
    await app.waitForText("bpa-saved", "saved", { timeout: 20000 });
    await waitFor("the policy no longer blocked", async () =>
      app.execute(`return !document.querySelector('[data-testid="policy-blocked"]') && !!document.querySelector('[data-testid="policy-lint-clean"]');`),
      { timeout: 20000 },
    );
    await click(app, "policy-save");
    await app.waitForText("policy-confirm", "readable by anyone");
    await app.screenshot("09-policy-confirm");
    await click(app, "policy-confirm-ok");
    await app.waitForText("policy-public-check", "Is it public?", { timeout: 30000 });
    await scrollTo(app, "policy-public-check");
    await app.screenshot("10-policy-saved-is-it-public");
    await app.setTheme("dark");
    await app.screenshot("10b-policy-saved-dark");
    await app.setTheme("light");

    // Empty: the plan first, then the run.
    await click(app, "bucket-empty");
    await app.waitForText("plan-objects", String(OBJECTS), { timeout: 30000 });
    await app.waitForText("plan-uploads", String(UPLOADS));
    await app.assertTablesFit("empty plan");
    await app.screenshot("11-empty-plan");
    await app.setTheme("dark");
    await app.screenshot("11b-empty-plan-dark");
    await app.setTheme("light");
    await type(app, "empty-typed", BUCKET);
    await click(app, "empty-run");
    await app.waitForText("empty-done", "The bucket is empty", { timeout: 60000 });
    await app.screenshot("12-emptied");
    await click(app, "empty-close");

    // Delete, confirmed by the name.
    await click(app, "bucket-delete");
    await type(app, "delete-typed", BUCKET);
    await app.screenshot("13-delete-confirm");
    await click(app, "delete-run");
    await app.waitForText("buckets-notice", `Deleted ${BUCKET}`, { timeout: 30000 });
    await waitFor("the list without the deleted bucket", async () =>
      app.execute(`return !!document.querySelector('[data-testid="buckets-table"]') && !document.querySelector('[data-testid="bucket-row"][data-name="${BUCKET}"]');`),
    );
    await app.assertTablesFit("buckets list after delete");
    await app.screenshot("14-deleted");
    await app.setTheme("dark");
    await app.screenshot("14b-list-dark");
    await app.setTheme("light");

    // "Stop the costs" on a second bucket: the plan, then each step.
    const STOP = "e2e-stop-costs";
    await click(app, "buckets-create");
    await type(app, "create-name", STOP);
    await app.waitForText("create-name-check", "follows every naming rule", { timeout: 10000 });
    await click(app, "create-run");
    await app.waitForText("buckets-notice", `Created ${STOP}`, { timeout: 30000 });
    execFileSync(python, [path.join(here, "put_objects.py"), admin.endpoint, REGION, admin.keyId, admin.secret, STOP, "12", "1"]);
    await (await app.$(`[data-testid="bucket-row"][data-name="${STOP}"] [data-testid="bucket-open"]`)).click();
    await click(app, "bucket-teardown");
    await app.waitForText("teardown-steps", "Empty the bucket (12 objects and versions, 1 unfinished uploads)", { timeout: 30000 });
    await app.waitForText("teardown-steps", `Delete the bucket ${STOP}`);
    await type(app, "teardown-typed", STOP);
    await app.screenshot("15-stop-the-costs-plan");
    await click(app, "teardown-run");
    await app.waitForText("teardown-done", "Every step of the plan is done", { timeout: 60000 });
    const states = await app.execute(`return [...document.querySelectorAll('[data-testid="teardown-step"]')].map((s) => s.dataset.state);`);
    assert.deepEqual(states, ["done", "done"]);
    await app.screenshot("16-stop-the-costs-done");
    await app.setTheme("dark");
    await app.screenshot("16b-stop-the-costs-done-dark");
    await app.setTheme("light");
    await click(app, "teardown-close");
    await app.waitForText("buckets-notice", "Every step of the plan is done", { timeout: 20000 });
    await waitFor("the list without the torn-down bucket", async () =>
      app.execute(`return !!document.querySelector('[data-testid="buckets-table"]') && !document.querySelector('[data-testid="bucket-row"][data-name="${STOP}"]');`),
    );

    // The screen in Korean.
    await (await app.byTestId("language-select")).selectByValue("ko");
    await app.waitForText("buckets-create", "버킷 만들기", { timeout: 10000 });
    await app.assertTablesFit("buckets list in Korean");
    await app.screenshot("17-list-ko");
    await click(app, "buckets-create");
    await type(app, "create-name", "E2E_Bad");
    await app.waitForText("create-name-check", "영문 소문자", { timeout: 10000 });
    await app.screenshot("18-create-ko");
  });
});
