// Admin flows in the real app against the sandbox's IAM-enforcing moto, with the sandbox's
// admin profile: "create a dedicated reader for me" in the wizard, the admin identity in
// Settings, and a key rotation started from the source list.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { waitFor, withSandboxApp } from "./harness.mjs";

const BUCKET = "bucketdesk-sandbox-photos";

function sourceKey(configDir, name) {
  const config = JSON.parse(readFileSync(path.join(configDir, "sandbox", "config", "config.json"), "utf8"));
  return config.sources.find((s) => s.name === name)?.accessKeyId;
}

async function type(app, testId, text) {
  const el = await app.byTestId(testId);
  await app.execute(`document.querySelector('[data-testid="${testId}"]').scrollIntoView({ block: "center" });`);
  await el.clear();
  await el.sendKeys(text);
}

test("admin: a reader created from the wizard, then its key rotated from the list", async () => {
  await withSandboxApp({ name: "admin", env: { BUCKETDESK_CLIPBOARD_CLEAR_SECS: "3" } }, async (app) => {

    await (await app.byTestId("nav-settings")).click();
    await app.waitForText("settings-admin-identity", "user/sandbox-admin", { timeout: 20000 });
    await app.screenshot("01-admin-identity");

    await (await app.byTestId("nav-sources")).click();
    await (await app.byTestId("sources-add")).click();
    await (await app.byTestId("wizard-next")).click();
    await (await app.byTestId("wizard-mode-reader")).click();
    await type(app, "wizard-reader-user", "e2e-cdn-reader");
    await app.screenshot("02-reader-choice");
    await (await app.byTestId("wizard-next")).click();
    await type(app, "wizard-bucket-input", BUCKET);
    await type(app, "wizard-base-path", "photos");
    await (await app.byTestId("wizard-next")).click();
    await type(app, "wizard-name", "sandbox-reader");
    await (await app.byTestId("wizard-next")).click();
    await (await app.byTestId("wizard-create-reader")).click();
    await app.waitForText("wizard-cdn-url", "https://cdn.weekerp.com/image/sandbox-reader/", { timeout: 60000 });
    // The reader path ends on the hand-off panel: Weekerp's fields, the secret hidden.
    await app.waitForText("handoff-accessKeyId", "AKIA", { timeout: 20000 });
    const hidden = await (await app.byTestId("handoff-secret-value")).text();
    assert.ok(hidden.startsWith("••"), `the secret is hidden until Reveal: ${hidden}`);
    await app.execute(`document.querySelector('[data-testid="handoff"]').scrollIntoView({ block: "start" });`);
    await app.screenshot("03-reader-created-handoff");
    await (await app.byTestId("wizard-done")).click();

    await waitFor("the reader's source row", async () =>
      app.execute(`return !!document.querySelector('[data-testid="source-row"][data-name="sandbox-reader"]');`),
    );
    const before = sourceKey(app.configDir, "sandbox-reader");
    assert.match(before, /^[A-Z0-9]{16,}$/, "the source has the new reader's key");

    await app.assertTablesFit("sources");
    await app.screenshot("03b-list-not-in-weekerp");
    await (await app.$('[data-testid="source-row"][data-name="sandbox-reader"] [data-testid="source-menu"]')).click();
    await (await app.$('[data-testid="source-row"][data-name="sandbox-reader"] [data-testid="source-rotate"]')).click();
    // Rotate asks first and says what will happen.
    await app.waitForText("rotate-confirm", "old key stays active", { timeout: 20000 });
    await app.screenshot("04a-rotate-asks-first");
    assert.equal(sourceKey(app.configDir, "sandbox-reader"), before, "nothing changed before the confirmation");
    await (await app.byTestId("rotate-confirm-ok")).click();
    // Phase 1: the source uses the new key, the hand-off panel shows it for Weekerp.
    await waitFor("the source to use the new key", async () => sourceKey(app.configDir, "sandbox-reader") !== before, { timeout: 60000 });
    const after = sourceKey(app.configDir, "sandbox-reader");
    await app.waitForText("handoff-accessKeyId", after, { timeout: 20000 });
    await (await app.byTestId("handoff-reveal")).click();
    await waitFor("the revealed secret", async () => !(await (await app.byTestId("handoff-secret-value")).text()).startsWith("••"), { timeout: 20000 });
    const revealed = await (await app.byTestId("handoff-secret-value")).text();
    const kept = execFileSync("secret-tool", ["lookup", "service", "bucketdesk-sandbox", "username", after], { encoding: "utf8" });
    assert.equal(revealed, kept, "the revealed secret is the keychain's");
    // Copy: the secret is on the X clipboard, and gone again after the (shortened) timeout.
    const clipboard = () => {
      try {
        return execFileSync("xclip", ["-o", "-selection", "clipboard"], { encoding: "utf8", timeout: 5000 });
      } catch {
        return "";
      }
    };
    await (await app.byTestId("handoff-copy-secret")).click();
    await app.waitForText("handoff-copied", "3", { timeout: 10000 });
    await waitFor("the secret on the clipboard", async () => clipboard() === kept, { timeout: 10000 });
    await waitFor("the clipboard cleared after the timeout", async () => clipboard() !== kept, { timeout: 15000 });
    await app.execute(`document.querySelector('[data-testid="handoff"]').scrollIntoView({ block: "start" });`);
    await app.screenshot("04b-rotation-handoff-new-key");
    await app.waitForText("source-badge-rotation", "Weekerp still needs the new key", { timeout: 20000 });
    await app.execute(`document.querySelector('[data-testid="rotation-in-progress"]').scrollIntoView({ block: "center" });`);
    await app.screenshot("04c-rotation-in-progress");
    await app.assertTablesFit("sources with a rotation in progress");
    // Finish: the old key ends inactive.
    await (await app.byTestId("rotate-finish")).click();
    await app.waitForText("source-rotated", "inactive", { timeout: 60000 });
    await app.screenshot("04d-rotation-finished");

    // The IAM screen: the reader with its two keys (new active, old inactive), a generated
    // policy, a user created with it and deleted again.
    await (await app.byTestId("nav-iam")).click();
    await app.waitForText("iam-identity", "user/sandbox-admin", { timeout: 20000 });
    const readerRow = await app.$('[data-testid="iam-user-row"][data-name="e2e-cdn-reader"]', { timeout: 20000 });
    const readerText = await readerRow.text();
    assert.match(readerText, /Inactive/, `the old key shows as inactive: ${readerText}`);
    assert.match(readerText, /managed-by=bucketdesk/);
    await app.assertTablesFit("IAM users");
    await app.screenshot("05a-iam-users-tab");
    await app.setTheme("dark");
    await app.screenshot("05a-iam-users-tab-dark");
    await app.setTheme("light");
    await (await app.byTestId("iam-tab-keys")).click();
    await app.$('[data-testid="iam-key-row"]', { timeout: 20000 });
    await app.assertTablesFit("IAM keys");
    await app.screenshot("05b-iam-keys-tab");
    await app.setTheme("dark");
    await app.screenshot("05b-iam-keys-tab-dark");
    await app.setTheme("light");
    await (await app.byTestId("iam-tab-policies")).click();
    await type(app, "policy-bucket", BUCKET);
    await type(app, "policy-base-path", "photos");
    await (await app.byTestId("policy-generate")).click();
    await app.waitForText("policy-json", `arn:aws:s3:::${BUCKET}/photos/*`, { timeout: 20000 });
    await (await app.byTestId("iam-tab-users")).click();
    await type(app, "iam-new-user", "e2e-temp-user");
    await app.execute(`document.querySelector('[data-testid="iam-create-user"]').scrollIntoView({ block: "center" });`);
    await (await app.byTestId("iam-create-user")).click();
    await app.$('[data-testid="iam-user-row"][data-name="e2e-temp-user"]', { timeout: 20000 });
    await app.screenshot("05-iam");
    // An access key for the new user: the secret is shown once, then gone from the screen.
    const tempRow = '[data-testid="iam-user-row"][data-name="e2e-temp-user"]';
    await app.execute(`document.querySelector('${tempRow}').scrollIntoView({ block: "center" });`);
    await (await app.$(`${tempRow} [data-testid="iam-key-create"]`)).click();
    await (await app.$(`${tempRow} [data-testid="iam-key-create-ok"]`)).click();
    const secretBox = await app.$('[data-testid="iam-new-key-secret"]', { timeout: 20000 });
    const secret = await app.execute(`return document.querySelector('[data-testid="iam-new-key-secret"]').value;`);
    assert.ok(secret.length >= 20, `a secret is shown once: ${secret.length} chars`);
    await app.execute(`document.querySelector('[data-testid="iam-new-key"]').scrollIntoView({ block: "center" });`);
    await app.screenshot("06-new-key-secret-once");
    assert.ok(secretBox);
    await (await app.byTestId("iam-new-key-done")).click();
    await waitFor("the secret to leave the screen", async () =>
      app.execute(`return !document.body.innerHTML.includes(${JSON.stringify(secret)});`),
    );
    await app.execute(`document.querySelector('[data-testid="iam-user-row"][data-name="e2e-temp-user"]').scrollIntoView({ block: "center" });`);
    await (await app.$('[data-testid="iam-user-row"][data-name="e2e-temp-user"] [data-testid="iam-user-delete"]')).click();
    await app.execute(`document.querySelector('[data-testid="iam-confirm-ok"]').scrollIntoView({ block: "center" });`);
    await (await app.byTestId("iam-confirm-ok")).click();
    await app.waitForText("iam-notice", "e2e-temp-user", { timeout: 20000 });
    await waitFor("the deleted user to leave the list", async () =>
      app.execute(`return !document.querySelector('[data-testid="iam-user-row"][data-name="e2e-temp-user"]');`),
    );
  });
});
