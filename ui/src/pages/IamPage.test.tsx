// @vitest-environment happy-dom
// The IAM screen on the in-memory backend.

import { act } from "react";
import { describe, expect, it } from "vitest";
import type { ErrorCode } from "../backend/backend";
import { MemoryBackend, defaultSettings } from "../backend/memory";
import keyErrors from "../fixtures/key-errors.json";
import { byTestId, choose, click, dom, query, render, settle, type } from "../test/dom";

describe("IAM page", () => {
  it("generates a policy, creates a user with it, groups it, and deletes it after asking", async () => {
    const backend = new MemoryBackend();
    await render(backend);
    await click("nav-iam");
    await settle(50);
    expect(byTestId("iam-identity").textContent).toContain("arn:aws:iam::123456789012:user/admin");

    expect(byTestId("iam-tab-users").getAttribute("aria-selected"), "Users is the first tab").toBe("true");
    await click("iam-tab-policies");
    await type("policy-bucket", "acme-photos");
    await type("policy-base-path", "assets/");
    await click("policy-generate");
    await settle(50);
    expect(byTestId("policy-json").textContent).toContain("arn:aws:s3:::acme-photos/assets/*");
    expect(byTestId("policy-findings").textContent).toBe("Lint: no findings.");

    await click("iam-tab-users");
    await type("iam-new-user", "cdn-reader-1");
    await click("iam-create-user");
    await settle(50);
    const row = dom.container.querySelector('[data-testid="iam-user-row"][data-name="cdn-reader-1"]');
    expect(row?.textContent).toContain("managed-by=bucketdesk");
    expect(row?.textContent).toContain("bucketdesk-cdn-reader");

    await click("iam-tab-groups");
    await type("iam-new-group", "cdn-readers");
    await click("iam-create-group");
    await settle(50);
    await choose("iam-member-user", "cdn-reader-1");
    await choose("iam-member-group", "cdn-readers");
    await click("iam-add-member");
    await settle(50);
    expect(byTestId("iam-group").textContent).toContain("cdn-reader-1");

    await click("iam-tab-users");
    await click("iam-user-delete");
    expect(byTestId("iam-confirm").textContent).toContain("cdn-reader-1");
    await click("iam-confirm-ok");
    await settle(50);
    expect(dom.container.querySelector('[data-testid="iam-user-row"]')).toBeNull();
    expect(byTestId("iam-notice").textContent).toContain("Deleted user cdn-reader-1");
    expect(query("iam-confirm")).toBeNull();
  });
});

describe("settings", () => {
  it("offers the profiles of ~/.aws for the admin profile and shows the admin identity", async () => {
    const backend = new MemoryBackend();
    await render(backend);
    await click("nav-settings");
    await settle(50);
    const options = [...dom.container.querySelectorAll('[data-testid="settings-profiles"] option')].map(
      (o) => (o as HTMLOptionElement).value,
    );
    expect(options).toEqual(["default", "admin"]);
    expect(byTestId("settings-admin-identity").textContent).toContain("arn:aws:iam::123456789012:user/admin");
  });
});

/** The core's refusal of a key action (fixture written from the core), in English. */
function refusal(which: "inUse" | "limit"): { code: ErrorCode; message: string } {
  const found = keyErrors.cases.find((c) => c.case === which && c.language === "en")!;
  return { code: found.error.code as ErrorCode, message: found.error.message };
}

describe("keys on the IAM page", () => {
  it("deactivates and deletes a spare key, and refuses a key a source uses", async () => {
    const backend = new MemoryBackend();
    const key = (id: string, sources: string[]) => ({
      accessKeyId: id, maskedId: `${id.slice(0, 4)}…${id.slice(-4)}`, user: "reader", status: "Active", created: null, ageDays: 3, lastUsed: null, lastUsedService: null, sources,
    });
    backend.iamUsers = [{
      name: "reader", arn: "arn:aws:iam::123456789012:user/reader", created: null, tags: [], groups: [],
      inlinePolicies: [], attachedPolicies: [], keys: [key("AKIABOUND00000000001", ["shop"]), key("AKIASPARE00000000002", [])],
      atKeyLimit: true,
    }];
    await render(backend);
    await click("nav-iam");
    await settle(50);
    await click("iam-tab-keys");
    expect(dom.container.querySelectorAll('[data-testid="iam-key-row"]').length, "every user's keys in one table").toBe(2);
    const button = (kind: string, id: string) =>
      dom.container.querySelector<HTMLButtonElement>(`[data-testid="${kind}"][data-key="${id}"]`)!;
    // The core refuses to deactivate a key a source uses; the page says so and keeps it.
    const inUse = refusal("inUse");
    backend.failNext("setKeyActive", inUse.code, inUse.message);
    await act(async () => button("iam-key-toggle", "AKIABOUND00000000001").click());
    await settle(50);
    expect(dom.container.querySelector('[role="alert"]')?.textContent).toContain(inUse.message);
    expect(backend.iamUsers[0]!.keys[0]!.status, "a source's key is kept").toBe("Active");
    expect(dom.container.textContent, "the IDs are shown as the core masks them").toContain("AKIA…0001");
    await act(async () => button("iam-key-toggle", "AKIASPARE00000000002").click());
    await settle(50);
    expect(backend.iamUsers[0]!.keys[1]!.status).toBe("Inactive");
    await act(async () => button("iam-key-delete", "AKIASPARE00000000002").click());
    await settle(50);
    expect(backend.iamUsers[0]!.keys.map((k) => k.accessKeyId)).toEqual(["AKIABOUND00000000001"]);
  });
});

describe("the keys table", () => {
  it("says when a key was last used in words, with the exact time kept", async () => {
    const backend = new MemoryBackend({ settings: { ...defaultSettings, language: "en" } });
    const used = new Date(Date.now() - 3 * 86_400_000).toISOString();
    backend.iamUsers = [{
      name: "reader", arn: "arn:aws:iam::123456789012:user/reader", created: null, tags: [], groups: [],
      inlinePolicies: [], attachedPolicies: [], atKeyLimit: false,
      keys: [
        { accessKeyId: "AKIAUSED000000000001", maskedId: "AKIA…0001", user: "reader", status: "Active", created: null, ageDays: 9, lastUsed: used, lastUsedService: "s3", sources: [] },
        { accessKeyId: "AKIANEVER00000000002", maskedId: "AKIA…0002", user: "reader", status: "Active", created: null, ageDays: 1, lastUsed: null, lastUsedService: null, sources: [] },
      ],
    }];
    await render(backend);
    await click("nav-iam");
    await settle(50);
    await click("iam-tab-keys");
    const rows = [...dom.container.querySelectorAll('[data-testid="iam-key-row"]')];
    const time = rows[0]!.querySelector("time");
    expect(time?.textContent).toBe("3 days ago");
    expect(time?.getAttribute("dateTime"), "the exact time stays on the element").toBe(used);
    expect(rows[1]!.textContent).toContain("never");
  });
});

describe("creating a key on the IAM page", () => {
  it("shows the secret once, binds it to a source when asked, and removes a group member", async () => {
    const backend = new MemoryBackend({
      sources: [{
        name: "shop", bucket: "acme", region: "us-east-1", basePath: "/", keyIdMasked: "AKIA…0001",
        endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null,
      }],
    });
    backend.iamUsers = [{
      name: "uploader", arn: "arn:aws:iam::123456789012:user/uploader", created: null, tags: [], groups: ["writers"],
      inlinePolicies: [], attachedPolicies: [], keys: [], atKeyLimit: false,
    }];
    backend.iamGroups = [{ name: "writers", users: ["uploader"], attachedPolicies: [] }];
    await render(backend);
    await click("nav-iam");
    await settle(50);

    await click("iam-key-create");
    await choose("iam-key-bind", "shop");
    await click("iam-key-create-ok");
    await settle(50);
    const secret = (byTestId("iam-new-key-secret") as HTMLInputElement).value;
    expect(secret, "the secret is shown once").toMatch(/^memory\/secret\/AKIANEW/);
    expect(byTestId("iam-new-key-bound").textContent).toContain("shop");
    expect(backend.iamUsers[0]!.keys[0]!.sources).toEqual(["shop"]);
    await click("iam-new-key-done");
    expect(query("iam-new-key"), "and then it is gone").toBeNull();
    expect(dom.container.textContent).not.toContain(secret);

    // A second key without a source; a third is not offered: with two keys the core lists
    // the user as at IAM's limit, and the page follows it.
    await click("iam-key-create");
    backend.iamUsers[0]!.atKeyLimit = true;
    await click("iam-key-create-ok");
    await settle(50);
    expect(query("iam-new-key-bound")).toBeNull();
    await click("iam-new-key-done");
    expect((byTestId("iam-key-create") as HTMLButtonElement).disabled, "two keys: the button is off").toBe(true);

    await click("iam-tab-groups");
    await click("iam-remove-member");
    await settle(50);
    expect(backend.iamGroups[0]!.users).toEqual([]);
    expect(byTestId("iam-group").textContent).not.toContain("uploader");
  });
});
