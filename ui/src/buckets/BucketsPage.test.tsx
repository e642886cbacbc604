// @vitest-environment happy-dom
// The Buckets screen on the in-memory backend. What the core decides (naming rules, the
// explanations, templates, reviews, the words of a refusal) comes from the fixtures the
// core wrote; these tests check what the screen does with those answers.

import { act } from "react";
import { describe, expect, it } from "vitest";
import { MemoryBackend } from "../backend/memory";
import type { SourceSummary } from "../backend/backend";
import fixture from "../fixtures/buckets.json";
import { byTestId, click, dom, query, render, settle, type } from "../test/dom";

function source(name: string, bucket: string): SourceSummary {
  return {
    name,
    bucket,
    region: "ap-northeast-2",
    basePath: "/",
    keyIdMasked: "AKIA…0001",
    endpointUrl: null,
    addedAt: "2026-11-01T00:00:00Z",
    lastVerified: null,
  };
}

async function typeText(id: string, text: string) {
  const area = byTestId<HTMLTextAreaElement>(id);
  await act(async () => {
    Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value")?.set?.call(area, text);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

function row(name: string): HTMLElement {
  const found = dom.container.querySelector<HTMLElement>(`[data-testid="bucket-row"][data-name="${name}"]`);
  if (!found) throw new Error(`no row for ${name}`);
  return found;
}

async function openBuckets(backend: MemoryBackend) {
  await render(backend);
  await click("nav-buckets");
  await settle(20);
}

async function openBucket(name: string) {
  await act(async () => row(name).querySelector<HTMLElement>('[data-testid="bucket-open"]')!.click());
  await settle(20);
}

function coreMessage(name: string, language: "en" | "ko" = "en"): string {
  const found = fixture.names.find((n) => n.name === name && n.language === language);
  if (!found?.error) throw new Error(`the fixture has no refusal for ${name}`);
  return found.error.message;
}

describe("Buckets page", () => {
  it("lists buckets with region, created, badges and the sources using each", async () => {
    const backend = new MemoryBackend({ sources: [source("shop", "acme-photos"), source("shop-2", "acme-photos")] });
    const photos = backend.bucketAdmin.bucket("acme-photos");
    photos.versioning = "enabled";
    photos.uploads = 2;
    backend.bucketAdmin.bucket("acme-web").publicAccess = { blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: false };
    await openBuckets(backend);

    const first = row("acme-photos");
    expect(first.textContent).toContain("ap-northeast-2");
    expect(first.textContent).toContain("shop, shop-2");
    expect(first.querySelector('[data-testid="badge-bpa"]')?.textContent).toBe("Public access blocked");
    expect(first.querySelector('[data-testid="badge-versioning"]')?.textContent).toBe("Versioning on");
    expect(first.querySelector('[data-testid="badge-uploads"]')).not.toBeNull();
    const web = row("acme-web");
    expect(web.querySelector('[data-testid="badge-bpa"]')?.textContent).toBe("Public access not blocked");
    expect(web.textContent).toContain("No source");
  });

  it("creates a bucket with the core's naming answers, protection and the abort rule on by default", async () => {
    const backend = new MemoryBackend();
    await openBuckets(backend);
    await click("buckets-create");
    await settle(20);
    expect(byTestId<HTMLSelectElement>("create-region").value, "the guides' region first").toBe("ap-northeast-2");
    expect(byTestId<HTMLInputElement>("create-bpa").checked).toBe(true);
    expect(byTestId<HTMLInputElement>("create-abort").checked).toBe(true);

    for (const bad of ["Acme-New", "acme..new", "acme-s3alias"]) {
      await type("create-name", bad);
      await settle(400);
      expect(byTestId("create-name-check").textContent, bad).toBe(coreMessage(bad));
      expect(byTestId<HTMLButtonElement>("create-run").disabled).toBe(true);
    }

    // Someone else's name and one's own are told apart, in the core's words.
    await type("create-name", "my-images");
    await settle(400);
    await click("create-run");
    await settle(20);
    expect(byTestId("create-failure").textContent).toContain(fixture.errors.alreadyExists.en.message.replace("{bucket}", "my-images"));
    expect(query("create-open-existing")).toBeNull();
    await type("create-name", "acme-photos");
    await settle(400);
    await click("create-run");
    await settle(20);
    expect(byTestId("create-failure").textContent).toContain(fixture.errors.alreadyOwnedByYou.en.message.replace("{bucket}", "acme-photos"));
    expect(byTestId("create-open-existing").textContent).toBe("Open acme-photos");

    await type("create-name", "acme-new");
    await settle(400);
    expect(byTestId("create-name-check").textContent).toBe("The name follows every naming rule.");
    await click("create-run");
    await settle(20);
    expect(byTestId("buckets-notice").textContent).toContain("Created acme-new in ap-northeast-2.");
    expect(row("acme-new").querySelector('[data-testid="badge-bpa"]')?.textContent).toBe("Public access blocked");

    await openBucket("acme-new");
    expect(byTestId("lifecycle-abort").textContent).toBe("Unfinished multipart uploads are aborted after 7 days.");
    expect(byTestId("bpa-form").querySelectorAll('input[type="checkbox"]:checked').length).toBe(4);
    expect(byTestId("bpa-blockPublicPolicy").textContent).toContain(
      fixture.publicAccess.en.find((v) => v.setting === "blockPublicPolicy")!.explanation,
    );
  });

  it("applies the public-read template: refused before the call while BlockPublicPolicy is on, then saved after the acknowledgement", async () => {
    const backend = new MemoryBackend();
    backend.buckets["acme-new"] = { region: "ap-northeast-2", keys: ["a.jpg"] };
    await openBuckets(backend);
    await openBucket("acme-new");

    await click("policy-tpl-public-read");
    await settle(400);
    const text = fixture.templates.find((c) => c.bucket === "acme-new" && c.draft === null && c.template === "public-read")!.text;
    expect(byTestId<HTMLTextAreaElement>("policy-editor").value).toBe(text);
    expect(byTestId("policy-anyone").textContent).toContain('Principal "*"');
    expect(byTestId("policy-blocked").textContent).toContain("BlockPublicPolicy");
    expect(byTestId<HTMLButtonElement>("policy-save").disabled, "refused before any call").toBe(true);

    // The offer changes that one setting; turning it off asks for the typed acknowledgement.
    await click("policy-offer-turn-off");
    await settle(20);
    expect(byTestId<HTMLInputElement>("bpa-toggle-blockPublicPolicy").checked).toBe(false);
    expect(byTestId("bpa-ack-box").textContent).toContain("BlockPublicPolicy");
    expect(byTestId<HTMLButtonElement>("bpa-apply").disabled).toBe(true);
    await click("bpa-all-off");
    await type("bpa-ack", "acme-new");
    await click("bpa-apply");
    await settle(400);
    expect(backend.bucketAdmin.acknowledgements).toEqual(["acme-new"]);
    expect(byTestId("bpa-saved")).not.toBeNull();

    expect(query("policy-blocked")).toBeNull();
    await click("policy-save");
    expect(byTestId("policy-confirm").textContent).toContain("readable by anyone on the internet");
    await click("policy-confirm-ok");
    await settle(50);
    expect(byTestId("policy-public-check").textContent).toContain("AWS's policy status: public.");
    expect(byTestId("policy-unsigned-get").textContent).toContain("anyone can read it");
    expect(backend.bucketAdmin.bucket("acme-new").policy).toBe(text);
  });

  it("shows the lint while editing and keeps other lifecycle rules when adding the abort rule", async () => {
    const backend = new MemoryBackend();
    backend.bucketAdmin.bucket("acme-web").lifecycle = {
      rules: [{ id: "expire-tmp", enabled: true, prefix: "tmp/", abortIncompleteMultipartAfterDays: null, expirationDays: 1, noncurrentExpirationDays: null, transitions: 0 }],
      abortIncompleteMultipartAfterDays: null,
    };
    await openBuckets(backend);
    await openBucket("acme-web");
    await typeText("policy-editor", "{");
    await settle(400);
    const invalid = fixture.reviews.find((r) => r.bucket === "acme-web" && r.draft === "{" && r.language === "en")!;
    expect(byTestId("policy-invalid").textContent).toBe(invalid.error!.message);

    expect(byTestId("lifecycle-abort").textContent).toContain("No rule aborts unfinished multipart uploads");
    await click("lifecycle-add");
    await settle(20);
    expect(byTestId("lifecycle-abort").textContent).toBe("Unfinished multipart uploads are aborted after 7 days.");
    const rules = byTestId("lifecycle-rules").textContent ?? "";
    expect(rules).toContain("expire-tmp");
    expect(rules).toContain("bucketdesk-abort-incomplete-multipart");
  });

  it("empties with a plan first, progress and cancel, and continues when run again", async () => {
    const backend = new MemoryBackend();
    const photos = backend.bucketAdmin.bucket("acme-photos");
    photos.uploads = 3;
    photos.olderVersions = 500;
    photos.deleteMarkers = 20;
    const keys = backend.buckets["acme-photos"]!.keys.length;
    await openBuckets(backend);
    await openBucket("acme-photos");
    await click("bucket-empty");
    await settle(20);
    expect(byTestId("plan-objects").textContent).toBe(keys.toLocaleString("en"));
    expect(byTestId("plan-older").textContent).toBe("500");
    expect(byTestId("plan-markers").textContent).toBe("20");
    expect(byTestId("plan-uploads").textContent).toBe("3");
    expect(byTestId<HTMLButtonElement>("empty-run").disabled, "asks for the name first").toBe(true);

    let release = () => {};
    backend.bucketAdmin.gate = new Promise<void>((resolve) => (release = resolve));
    await type("empty-typed", "acme-photos");
    await click("empty-run");
    await settle(20);
    expect(byTestId("empty-progress").textContent).toContain("uploads aborted");
    await click("empty-cancel");
    backend.bucketAdmin.gate = null;
    release();
    await settle(50);
    expect(byTestId("empty-cancelled").textContent).toContain("Run it again to continue");
    const left = backend.buckets["acme-photos"]!.keys.length;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(keys);

    await click("empty-again");
    await settle(20);
    expect(byTestId("plan-objects").textContent, "the plan counts what is left").toBe(left.toLocaleString("en"));
    await type("empty-typed", "acme-photos");
    await click("empty-run");
    await settle(100);
    expect(byTestId("empty-done").textContent).toContain("The bucket is empty.");
    expect(backend.buckets["acme-photos"]!.keys).toEqual([]);
    expect(backend.bucketAdmin.confirmations, "the typed name goes to the core, which checks it").toEqual([
      { call: "empty", typed: "acme-photos" },
      { call: "empty", typed: "acme-photos" },
    ]);
  });

  it("lists the keys S3 refused, and explains a compliance-mode Object Lock instead of running", async () => {
    const backend = new MemoryBackend();
    backend.bucketAdmin.refuseKeys.add("assets/logo.png");
    backend.bucketAdmin.bucket("acme-photos").compliance = 4;
    await openBuckets(backend);
    await openBucket("acme-web");
    await click("bucket-empty");
    await settle(20);
    await type("empty-typed", "acme-web");
    await click("empty-run");
    await settle(50);
    expect(byTestId("empty-failed-keys").textContent).toContain("assets/logo.png");
    expect(byTestId("empty-failed-keys").textContent).toContain("AccessDenied");
    expect(byTestId("empty-not-verified")).not.toBeNull();
    await click("empty-close");
    await click("bucket-back");
    await settle(20);

    await openBucket("acme-photos");
    await click("bucket-empty");
    await settle(20);
    expect(byTestId("empty-locked").textContent).toContain("compliance-mode Object Lock");
    expect(query("empty-run")).toBeNull();
  });

  it("refuses to delete a bucket that is not empty with the offer to empty it, and removes its sources on request", async () => {
    const backend = new MemoryBackend({ sources: [source("web", "acme-web")] });
    await openBuckets(backend);
    await openBucket("acme-web");
    await click("bucket-delete");
    expect(byTestId<HTMLButtonElement>("delete-run").disabled).toBe(true);
    await type("delete-typed", "acme-web");
    await click("delete-run");
    await settle(20);
    expect(byTestId("delete-failure").textContent).toContain(
      fixture.errors.notEmpty.en.message.replace("{bucket}", "acme-web").replace("{versions}", "2").replace("{uploads}", "0"),
    );
    await click("delete-empty-first");
    await settle(20);
    await type("empty-typed", "acme-web");
    await click("empty-run");
    await settle(50);
    await click("empty-close");
    await settle(20);

    await click("bucket-delete");
    expect(byTestId<HTMLInputElement>("delete-remove-sources").checked).toBe(true);
    await type("delete-typed", "acme-web");
    await click("delete-run");
    await settle(20);
    expect(byTestId("buckets-notice").querySelector("p")?.textContent).toBe("Deleted acme-web. Removed sources: web.");
    expect(query('bucket-row"][data-name="acme-web')).toBeNull();
    expect(backend.sources).toEqual([]);
  });

  it("stops the costs: the plan first, then each step, stopping at the first failure with what was done", async () => {
    const backend = new MemoryBackend({ sources: [source("web", "acme-web"), source("web-2", "acme-web")] });
    backend.bucketAdmin.failStep = { index: 3, message: "AccessDenied: iam:DeleteAccessKey" };
    backend.bucketAdmin.teardownPlans.set("acme-web", {
      bucket: "acme-web",
      empty: await backend.bucketAdmin.emptyPlan("acme-web"),
      sources: ["web", "web-2"],
      keptKeys: [{ accessKeyId: "AKIAKEPT000000000001", user: "shared-reader", usedElsewhereBy: ["shop"], notMadeByBucketdesk: false }],
      users: [],
      deleteUsers: false,
      steps: [{ step: "empty" }, { step: "deleteBucket" }, { step: "removeSource", name: "web" }, { step: "removeSource", name: "web-2" }],
      canRun: true,
    });
    await openBuckets(backend);
    await openBucket("acme-web");
    await click("bucket-teardown");
    await settle(20);
    const steps = () => [...dom.container.querySelectorAll<HTMLElement>('[data-testid="teardown-step"]')];
    expect(steps().map((s) => s.textContent?.replace(/(waiting|done|failed|running).*$/, ""))).toEqual([
      "·Empty the bucket (2 objects and versions, 0 unfinished uploads)",
      "·Delete the bucket acme-web",
      "·Remove the source web",
      "·Remove the source web-2",
    ]);
    expect(byTestId("teardown-kept").textContent).toContain("AKIAKEPT000000000001 (shared-reader): also used by shop");
    await type("teardown-typed", "acme-web");
    await click("teardown-run");
    await settle(100);
    expect(steps().map((s) => s.dataset.state)).toEqual(["done", "done", "done", "failed"]);
    expect(byTestId("teardown-failed").textContent).toContain("AccessDenied: iam:DeleteAccessKey");
    expect(byTestId("teardown-failed").textContent).toContain("Done so far: 3 of 4 steps.");
    expect(backend.buckets["acme-web"]).toBeUndefined();
    expect(backend.sources.map((s) => s.name)).toEqual(["web-2"]);
    expect(backend.bucketAdmin.confirmations).toEqual([{ call: "teardown", typed: "acme-web" }]);
  });

  it("speaks Korean, with the core's Korean naming messages", async () => {
    const backend = new MemoryBackend({ info: { osLanguage: "ko" } });
    await openBuckets(backend);
    expect(byTestId("buckets-create").textContent).toBe("버킷 만들기");
    await click("buckets-create");
    await settle(20);
    await type("create-name", "acme..new");
    await settle(400);
    expect(byTestId("create-name-check").textContent).toBe(coreMessage("acme..new", "ko"));
  });
});
