// @vitest-environment happy-dom
// The Add Source wizard and the browser on the in-memory backend, with the selectors the GUI
// end-to-end test uses.

import { act } from "react";
import { describe, expect, it, vi } from "vitest";
import { MemoryBackend } from "../backend/memory";
import policiesFixture from "../fixtures/policies.json";
import verifyFixture from "../fixtures/verify-reports.json";
import { byTestId, choose, click, dom, query, render, settle, type } from "../test/dom";

async function walkTo5(backend: MemoryBackend, secret: string) {
  await render(backend);
  await click("sources-add");
  await click("wizard-next"); // Amazon S3
  await type("wizard-key-id", "AKIAIOSFODNN7EXAMPLE");
  await type("wizard-secret", secret);
  await click("wizard-next");
  await settle(50);
  expect(query("wizard-bucket-select"), "the key may list buckets: a select").not.toBeNull();
  await type("wizard-bucket-input", "acme-photos");
  await settle();
  expect(byTestId("wizard-detected-region").textContent).toContain("ap-northeast-2");
  await type("wizard-base-path", "photos/");
  await click("wizard-next");
  await type("wizard-name", "Bad Name");
  await click("wizard-next");
  expect(byTestId("wizard-error").textContent).toContain("lowercase");
  await type("wizard-name", "acme");
  await click("wizard-next");
}

describe("Add Source wizard", () => {
  it("goes from provider to a saved source in the list", async () => {
    const backend = new MemoryBackend();
    await walkTo5(backend, "secret");
    await click("wizard-verify-run");
    await settle(50);
    for (const id of ["identity", "get_bucket_location", "list_bucket", "get_object"]) {
      expect(byTestId(`wizard-check-${id}`).dataset.status, id).toBe("passed");
    }
    await click("wizard-next");
    await click("wizard-save");
    await settle(50);
    expect(byTestId("wizard-cdn-url").textContent).toBe("https://cdn.weekerp.com/image/acme/00000.jpg");
    await click("wizard-done");
    await settle(50);
    const row = dom.container.querySelector('[data-testid="source-row"][data-name="acme"]');
    expect(row, "the saved source is listed").not.toBeNull();
    expect(backend.sources[0]?.basePath).toBe("/photos");
  });

  it("keeps Next disabled and shows the hint when a check fails", async () => {
    const backend = new MemoryBackend();
    await walkTo5(backend, "wrong");
    await click("wizard-verify-run");
    await settle(50);
    expect(byTestId("wizard-check-identity").dataset.status).toBe("failed");
    const identity = verifyFixture.wrong_secret.en.checks.find((c) => c.id === "identity")!;
    expect(identity.hint, "the core gives a hint for a wrong secret").toBeTruthy();
    expect(byTestId("wizard-check-identity").textContent, "the core's hint is shown").toContain(identity.hint);
    expect(byTestId<HTMLButtonElement>("wizard-next").disabled).toBe(true);
    expect(backend.calls.saveSource).toBe(0);
  });
});

describe("browser", () => {
  it("opens folders, pages lazily, and shows an object's URLs", async () => {
    const backend = new MemoryBackend({
      sources: [{ name: "acme", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…MPLE", endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null }],
    });
    await render(backend);
    await click("source-browse");
    await settle(50);
    const folders = [...dom.container.querySelectorAll<HTMLElement>('[data-testid="browser-row"][data-kind="folder"]')].map((r) => r.dataset.key);
    expect(folders).toEqual(["photos/", "배너/", "제품 이미지/"]);
    await act(async () => dom.container.querySelector<HTMLElement>('[data-key="제품 이미지/"]')!.click());
    await settle(50);
    await act(async () => dom.container.querySelector<HTMLElement>('[data-key="제품 이미지/봄 컬렉션/"]')!.click());
    await settle(50);
    const photo = dom.container.querySelector<HTMLElement>('[data-key="제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg"]');
    expect(photo, "Korean keys with spaces are listed").not.toBeNull();
    await act(async () => photo!.click());
    await settle(50);
    expect(byTestId("object-cdn-url").textContent).toBe(
      "https://cdn.weekerp.com/image/acme/%EC%A0%9C%ED%92%88%20%EC%9D%B4%EB%AF%B8%EC%A7%80/%EB%B4%84%20%EC%BB%AC%EB%A0%89%EC%85%98/%EB%B2%9A%EA%BD%83%20%EC%82%AC%EC%A7%84%2001.jpg",
    );
    await click("presign-generate");
    await settle(50);
    expect(byTestId("presign-url").textContent).toContain("X-Amz-Expires=3600");

    // 2,500 objects in photos/: the first page is 1,000, only visible rows are rendered.
    await act(async () => dom.container.querySelector<HTMLElement>('[data-testid="browser-breadcrumb"] button')!.click());
    await settle(50);
    await act(async () => dom.container.querySelector<HTMLElement>('[data-key="photos/"]')!.click());
    await settle(100);
    const rendered = dom.container.querySelectorAll('[data-testid="browser-row"]').length;
    expect(rendered).toBeGreaterThan(0);
    expect(rendered, "virtualized: far fewer rows in the DOM than loaded").toBeLessThan(60);
    expect(backend.calls.listObjects).toBeGreaterThanOrEqual(4);
  });
});

describe("source actions", () => {
  const saved = () =>
    new MemoryBackend({
      sources: [{ name: "acme", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…MPLE", endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null }],
    });

  it("edits the BasePath and replaces the key", async () => {
    const backend = saved();
    await render(backend);
    await click("source-menu");
    await click("source-edit");
    await type("edit-base-path", "photos/");
    await type("edit-key-id", "AKIANEWKEY0000001234");
    await click("edit-save");
    expect(
      dom.container.querySelector('[data-testid="edit-source"] [role="alert"]')?.textContent,
      "a key ID without its secret is refused before calling the core",
    ).toContain("Enter both");
    expect(backend.calls.updateSource).toBe(0);
    await type("edit-secret", "new-secret");
    await click("edit-save");
    await settle(50);
    expect(query("edit-source")).toBeNull();
    expect(backend.sources[0]).toMatchObject({ basePath: "/photos", keyIdMasked: "AKIA…1234", lastVerified: null });
  });

  it("asks before removing, and removes on OK", async () => {
    const backend = saved();
    await render(backend);
    await click("source-menu");
    await click("source-remove");
    expect(byTestId("confirm").textContent).toContain("acme");
    await click("confirm-cancel");
    expect(backend.calls.removeSource).toBe(0);
    await click("source-menu");
    await click("source-remove");
    await click("confirm-ok");
    await settle(50);
    expect(backend.sources).toEqual([]);
    expect(query("source-row")).toBeNull();
  });

  it("verifies a saved source again and shows the report", async () => {
    const backend = saved();
    await render(backend);
    await click("source-menu");
    await click("source-verify");
    await settle(50);
    expect(byTestId("source-report").textContent).toContain("acme");
    expect(byTestId("source-verified").textContent).toContain("✓");
  });
});

describe("admin flows", () => {
  it("creates a dedicated reader from the wizard and lists its source", async () => {
    const backend = new MemoryBackend();
    await render(backend);
    await click("sources-add");
    await click("wizard-next");
    await click("wizard-mode-reader");
    expect(query("wizard-key-id"), "no key fields for a reader").toBeNull();
    expect(byTestId<HTMLInputElement>("wizard-reader-user").value, "the core's default user").toBe(backend.info.defaultReaderUser);
    await click("wizard-next");
    await type("wizard-bucket-input", "acme-photos");
    await click("wizard-next");
    await type("wizard-name", "acme-cdn");
    await click("wizard-next");
    await click("wizard-create-reader");
    await settle(50);
    expect(backend.calls.createReader).toBe(1);
    expect(byTestId("wizard-cdn-url").textContent).toContain("https://cdn.weekerp.com/image/acme-cdn/");
    await click("wizard-done");
    await settle(50);
    expect(dom.container.querySelector('[data-testid="source-row"][data-name="acme-cdn"]')).not.toBeNull();
  });

  it("on the reader path picks the bucket from the admin's list, shows its region and the policy to attach", async () => {
    const backend = new MemoryBackend();
    await render(backend);
    await click("sources-add");
    await click("wizard-next");
    await click("wizard-mode-reader");
    await click("wizard-next");
    await settle(50);
    expect(backend.calls.readerBuckets, "the admin's credentials list the buckets").toBe(1);
    expect(backend.calls.listBuckets, "no key of its own to list with").toBe(0);
    const options = [...byTestId<HTMLSelectElement>("wizard-bucket-select").options].map((o) => o.value).filter(Boolean);
    expect(options).toEqual(Object.keys(backend.buckets));
    await choose("wizard-bucket-select", "acme-photos");
    await settle();
    expect(backend.calls.readerBucketRegion).toBe(1);
    expect(byTestId("wizard-detected-region").textContent).toContain("ap-northeast-2");
    expect(query("wizard-region"), "a reader's region is the one the core detects").toBeNull();
    await type("wizard-base-path", "/assets");
    await click("wizard-next");
    await type("wizard-name", "acme-cdn");
    await click("wizard-next");
    await settle(50);
    // The core's plan, shown as it comes: the document is not rebuilt here.
    const expected = policiesFixture.readerPlans.find((c) => c.basePath === "/assets" && c.user === backend.info.defaultReaderUser)!;
    expect(byTestId("wizard-policy-document").textContent).toBe(expected.plan!.document);
    expect(byTestId("wizard-policy").textContent).toContain("bucketdesk-cdn-reader-acme-photos");
    expect(byTestId("wizard-policy-findings").dataset.count).toBe("0");
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    await click("wizard-policy-copy");
    expect(writeText).toHaveBeenCalledWith(expected.plan!.document);
    await click("wizard-create-reader");
    await settle(50);
    expect(backend.calls.createReader).toBe(1);
  });

  it("shows the bucket list even when it comes after the step has re-rendered", async () => {
    // Over IPC the answer arrives after React has re-rendered for "loading"; an answer
    // dropped then left the step on "Looking up the buckets…" for good.
    const backend = new MemoryBackend();
    const list = backend.readerBuckets.bind(backend);
    backend.readerBuckets = () => new Promise((resolve, reject) => setTimeout(() => list().then(resolve, reject), 100));
    await render(backend);
    await click("sources-add");
    await click("wizard-next");
    await click("wizard-mode-reader");
    await click("wizard-next");
    await settle(300);
    expect(query("wizard-bucket-select"), "the late answer is shown").not.toBeNull();
  });

  it("asks for the bucket name when the admin may not list buckets", async () => {
    const backend = new MemoryBackend();
    backend.adminMayList = false;
    await render(backend);
    await click("sources-add");
    await click("wizard-next");
    await click("wizard-mode-reader");
    await click("wizard-next");
    await settle(50);
    expect(query("wizard-bucket-select")).toBeNull();
    expect(byTestId("wizard-bucket-note").textContent).toContain("admin credentials may not list buckets");
    expect(query("wizard-error"), "being refused the list is not an error").toBeNull();
  });

  it("creates no reader while the policy to attach cannot be shown", async () => {
    const backend = new MemoryBackend();
    await render(backend);
    await click("sources-add");
    await click("wizard-next");
    await click("wizard-mode-reader");
    await click("wizard-next");
    await settle(50);
    await choose("wizard-bucket-select", "acme-photos");
    await click("wizard-next");
    await type("wizard-name", "acme-cdn");
    backend.failNext("readerPlan", "sandbox_not_ready", "The sandbox is still starting.");
    await click("wizard-next");
    await settle(50);
    expect(byTestId("wizard-error").textContent).toBe("The sandbox is still starting.");
    expect(query("wizard-policy")).toBeNull();
    expect(byTestId<HTMLButtonElement>("wizard-create-reader").disabled).toBe(true);
    expect(backend.calls.createReader).toBe(0);
  });

  it("rotates a source's key in two phases: asks first, shows the new key for Weekerp, then finishes", async () => {
    const backend = new MemoryBackend({
      sources: [{ name: "acme", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…MPLE", endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null }],
    });
    await render(backend);
    await settle(50);
    expect(byTestId("source-badge-weekerp").textContent, "a new source is not in Weekerp yet").toContain("Not yet in Weekerp");
    await click("source-menu");
    await click("source-rotate");
    expect(byTestId("rotate-confirm").textContent, "it says what will happen first").toContain("The old key stays active");
    expect(backend.calls.beginRotation, "nothing before the confirmation").toBe(0);
    await click("rotate-confirm-ok");
    await settle(50);
    expect(backend.calls.beginRotation).toBe(1);
    expect(byTestId("handoff-accessKeyId").textContent, "the hand-off shows the new key").toContain("AKIAROTATED000000001");
    expect(byTestId("handoff-secret-value").textContent, "the secret stays hidden").not.toContain("memory/secret");
    await click("handoff-reveal");
    await settle(20);
    expect(byTestId("handoff-secret-value").textContent, "revealed from the keychain").toBe("memory/secret/AKIAROTATED000000001");
    await click("handoff-copy-secret");
    await settle(20);
    expect(backend.clipboard).toBe("memory/secret/AKIAROTATED000000001");
    expect(byTestId("handoff-copied").textContent).toContain("30");
    expect(byTestId("source-badge-rotation").textContent).toContain("Weekerp still needs the new key");
    expect(byTestId("rotation-in-progress").textContent).toContain("still active");

    await choose("rotate-fate", "deleteNow");
    await click("rotate-finish");
    await settle(50);
    expect(byTestId("source-rotated").textContent).toContain("deleted");
    expect(query("rotation-in-progress"), "no rotation is left in progress").toBeNull();
  });

  it("cancels a rotation back to the old key, and offers to retire an inactive key at the limit", async () => {
    const backend = new MemoryBackend({
      sources: [{ name: "acme", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…MPLE", endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null }],
    });
    backend.failNext("beginRotation", "key_limit", "reader already has two keys (the IAM limit).");
    await render(backend);
    await click("source-menu");
    await click("source-rotate");
    await click("rotate-confirm-ok");
    await settle(50);
    expect(byTestId("source-rotated").textContent).toContain("two keys");
    await click("rotate-retire");
    await settle(50);
    expect(backend.calls.beginRotation).toBe(2);
    await click("rotate-cancel");
    await settle(50);
    expect(byTestId("source-rotated").textContent).toContain("cancelled");
    expect(backend.sources[0]?.keyIdMasked, "the old key again").toBe("AKIA…0000");
  });

  it("confirms a source in Weekerp and checks the production CDN", async () => {
    const backend = new MemoryBackend({
      sources: [{ name: "acme", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…MPLE", endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null }],
    });
    await render(backend);
    await click("source-menu");
    await click("source-register");
    await settle(50);
    const order = [...dom.container.querySelectorAll<HTMLElement>(".handoff-field")].map((f) => f.dataset.testid);
    expect(order, "Weekerp's own order").toEqual([
      "handoff-region", "handoff-accessKeyId", "handoff-secretAccessKey", "handoff-bucketName", "handoff-basePath", "handoff-uniqueIdentifier",
    ]);
    await click("handoff-confirm");
    await settle(50);
    expect(byTestId("handoff-registered").dataset.registered).toBe("true");
    backend.weekerpAnswer = { url: "https://cdn.weekerp.com/image/acme/a.jpg?w=64", verdict: { kind: "forbidden" }, served: false, message: "Weekerp answered 403.", fix: "Check the key in Weekerp." };
    await click("handoff-check");
    await settle(50);
    expect(byTestId("handoff-check-result").dataset.served).toBe("false");
    expect(byTestId("handoff-check-result").textContent).toContain("Check the key in Weekerp.");
    await click("handoff-close");
    await settle(50);
    expect(query("source-badge-weekerp"), "confirmed: no badge").toBeNull();
  });
});

describe("wizard details", () => {
  async function toBucketStep(backend: MemoryBackend, keyId = "AKIAIOSFODNN7EXAMPLE") {
    await render(backend);
    await click("sources-add");
    await click("wizard-next");
    await type("wizard-key-id", keyId);
    await type("wizard-secret", "secret");
    await click("wizard-next");
    await settle(50);
  }

  it("asks for the bucket name when the key may not list buckets", async () => {
    const backend = new MemoryBackend();
    await toBucketStep(backend, `${MemoryBackend.NO_LIST_PREFIX}0000000001`);
    expect(query("wizard-bucket-select")).toBeNull();
    expect(byTestId("wizard-bucket-note").textContent).toContain("may not list buckets");
    expect(query("wizard-error"), "being refused the list is expected, not an error").toBeNull();
    await type("wizard-bucket-input", "acme-photos");
    await settle();
    expect(byTestId("wizard-detected-region").textContent).toContain("ap-northeast-2");
  });

  it("shows other failures of the bucket list in the step", async () => {
    const backend = new MemoryBackend();
    backend.failNext("listBuckets", "unreachable", "The endpoint did not answer in time.");
    await toBucketStep(backend);
    expect(byTestId("wizard-error").textContent).toBe("The endpoint did not answer in time.");
    expect(byTestId("wizard-bucket-input")).toBeTruthy();
  });

  it("picks a bucket from the list and shows the BasePath as it will be saved", async () => {
    const backend = new MemoryBackend();
    await toBucketStep(backend);
    const options = [...byTestId<HTMLSelectElement>("wizard-bucket-select").options].map((o) => o.value);
    expect(options).toEqual(["", "acme-photos", "acme-web"]);
    await choose("wizard-bucket-select", "acme-web");
    expect(byTestId<HTMLInputElement>("wizard-bucket-input").value).toBe("acme-web");
    await settle();
    expect(byTestId("wizard-detected-region").textContent).toContain("us-east-1");
    expect(query("wizard-region"), "the region of an Amazon S3 bucket is not typed").toBeNull();
    await type("wizard-base-path", "//assets//");
    expect(byTestId("wizard-base-path-shown").textContent).toContain("/assets");
    await type("wizard-base-path", "a/../b");
    expect(byTestId("wizard-field-problem").textContent).toContain("'..'");
    await click("wizard-next");
    expect(byTestId("wizard-error").textContent).toContain("'..'");
    expect(query("wizard-name"), "still on the bucket step").toBeNull();
  });

  it("validates the identifier while it is typed, uniqueness included", async () => {
    const backend = new MemoryBackend({
      sources: [{ name: "taken", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…MPLE", endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null }],
    });
    await toBucketStep(backend);
    await type("wizard-bucket-input", "acme-photos");
    await click("wizard-next");
    await type("wizard-name", "Ab");
    expect(byTestId("wizard-field-problem").textContent).toContain("lowercase");
    await type("wizard-name", "taken");
    expect(byTestId("wizard-field-problem").textContent).toContain("already used");
    expect(query("wizard-name-ok")).toBeNull();
    await type("wizard-name", "shop-2");
    expect(query("wizard-field-problem")).toBeNull();
    expect(byTestId("wizard-name-ok").textContent).toContain("https://cdn.weekerp.com/image/shop-2/");
  });

  it("forgets a verification once the input changes", async () => {
    const backend = new MemoryBackend();
    await walkTo5(backend, "secret");
    await click("wizard-verify-run");
    await settle(50);
    expect(byTestId<HTMLButtonElement>("wizard-next").disabled).toBe(false);
    await click("wizard-back");
    await type("wizard-name", "acme-two");
    await click("wizard-next");
    expect(query("wizard-check-identity"), "the old report is gone").toBeNull();
    expect(byTestId<HTMLButtonElement>("wizard-next").disabled).toBe(true);
    await click("wizard-verify-run");
    await settle(50);
    await click("wizard-next");
    await click("wizard-save");
    await settle(50);
    expect(byTestId("wizard-cdn-url").textContent).toBe("https://cdn.weekerp.com/image/acme-two/00000.jpg");
    expect(query("wizard-save"), "saved once").toBeNull();
    expect(query("wizard-back")).toBeNull();
    expect(backend.sources.map((s) => s.name)).toEqual(["acme-two"]);
  });

  it("shows where URLs start when the BasePath holds no object yet", async () => {
    const backend = new MemoryBackend();
    backend.buckets["empty-bucket"] = { region: "eu-west-1", keys: [] };
    await toBucketStep(backend);
    await type("wizard-bucket-input", "empty-bucket");
    await click("wizard-next");
    await type("wizard-name", "empty");
    await click("wizard-next");
    await click("wizard-verify-run");
    await settle(50);
    expect(byTestId("wizard-check-get_object").dataset.status).toBe("skipped");
    await click("wizard-next");
    await click("wizard-save");
    await settle(50);
    expect(byTestId("wizard-cdn-url").textContent).toBe("https://cdn.weekerp.com/image/empty/");
    expect(query("wizard-save")).toBeNull();
    expect(query("wizard-cancel"), "after saving, Done is the way out").toBeNull();
    await click("wizard-done");
    await settle(50);
    expect(dom.container.querySelector('[data-testid="source-row"][data-name="empty"]')).not.toBeNull();
  });

  it("sends the endpoint and the region, detected then edited, for an S3-compatible provider", async () => {
    const backend = new MemoryBackend();
    const verify = vi.spyOn(backend, "verifySource");
    await render(backend);
    await click("sources-add");
    await click("wizard-provider-compatible");
    await type("wizard-endpoint", "minio.local");
    expect(byTestId("wizard-field-problem").textContent).toContain("http://");
    await type("wizard-endpoint", "http://127.0.0.1:9000/");
    await type("wizard-region", "us-east-1");
    await click("wizard-next");
    await type("wizard-key-id", "AKIAIOSFODNN7EXAMPLE");
    await type("wizard-secret", "secret");
    await click("wizard-next");
    await settle(50);
    await type("wizard-bucket-input", "acme-photos");
    await settle();
    expect(byTestId<HTMLInputElement>("wizard-region").value, "prefilled with the detected region").toBe("ap-northeast-2");
    await type("wizard-region", "ap-northeast-1");
    await click("wizard-next");
    await type("wizard-name", "minio-photos");
    await click("wizard-next");
    await click("wizard-verify-run");
    await settle(50);
    expect(verify).toHaveBeenCalledWith(
      expect.objectContaining({ endpointUrl: "http://127.0.0.1:9000/", region: "ap-northeast-1", bucket: "acme-photos", basePath: "/" }),
    );
    expect(byTestId("verify-report").textContent, "the core's correction is said").toContain("corrected to ap-northeast-2");
  });

  it("imports the console's CSV, and says what is wrong with another file", async () => {
    const backend = new MemoryBackend();
    await render(backend);
    await click("sources-add");
    await click("wizard-next");
    const pick = async (content: string) => {
      const input = byTestId<HTMLInputElement>("wizard-csv");
      const file = new File([content], "reader_accessKeys.csv", { type: "text/csv" });
      Object.defineProperty(input, "files", { value: [file], configurable: true });
      await act(async () => input.dispatchEvent(new Event("change", { bubbles: true })));
      await settle(20);
    };
    await pick("User name,Password\nbob,hunter2");
    expect(byTestId("wizard-error").textContent).toContain("'Access key ID'");
    await pick("\uFEFFAccess key ID,Secret access key\r\nAKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\r\n");
    expect(query("wizard-error")).toBeNull();
    expect(byTestId<HTMLInputElement>("wizard-key-id").value).toBe("AKIAIOSFODNN7EXAMPLE");
    expect(byTestId<HTMLInputElement>("wizard-secret").value).toBe("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    expect(byTestId<HTMLInputElement>("wizard-secret").type).toBe("password");
  });

  it("drops the secret when cancelled: a new wizard starts empty", async () => {
    const backend = new MemoryBackend();
    await render(backend);
    await click("sources-add");
    await click("wizard-next");
    await type("wizard-key-id", "AKIAIOSFODNN7EXAMPLE");
    await type("wizard-secret", "top-secret");
    await click("wizard-cancel");
    expect(query("wizard")).toBeNull();
    expect(dom.container.innerHTML).not.toContain("top-secret");
    await click("sources-add");
    await click("wizard-next");
    expect(byTestId<HTMLInputElement>("wizard-secret").value).toBe("");
  });
});

describe("browser paging", () => {
  const source = { name: "acme", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…MPLE", endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null };

  it("pages through 5,000 Korean keys with spaces as the list is scrolled, each once", async () => {
    const backend = new MemoryBackend({ sources: [source], bigFolder: 5000 });
    const pages = vi.spyOn(backend, "listObjects");
    await render(backend);
    await click("source-browse");
    await settle(50);
    await act(async () => dom.container.querySelector<HTMLElement>('[data-key="많은 파일/"]')!.click());
    await settle(50);
    const viewport = dom.container.querySelector<HTMLElement>(".virtual")!;
    const toBottom = async () => {
      await act(async () => {
        viewport.scrollTop = Number.parseInt((viewport.firstElementChild as HTMLElement).style.height, 10) - 480;
        viewport.dispatchEvent(new Event("scroll"));
      });
      await settle(30);
    };
    for (let i = 0; i < 10 && byTestId("browser-status").textContent !== "5,000 items loaded"; i += 1) await toBottom();
    await toBottom();
    expect(byTestId("browser-status").textContent).toBe("5,000 items loaded");
    const tokens = pages.mock.calls.filter(([, prefix]) => prefix === "많은 파일/").map(([, , token]) => token);
    expect(tokens, "each page asked for once").toEqual([null, "1000", "2000", "3000", "4000"]);
    const last = dom.container.querySelector<HTMLElement>('[data-testid="browser-row"][data-key="많은 파일/파일 5000.jpg"]');
    expect(last, "the last key is rendered at the bottom").not.toBeNull();
    expect(dom.container.querySelectorAll('[data-testid="browser-row"]').length).toBeLessThan(60);
  });

  it("shows a folder of 100,000 keys as a grid of thumbnails, only a screenful in the DOM", async () => {
    const backend = new MemoryBackend({ sources: [source], bigFolder: 100_000 });
    await render(backend);
    await click("source-browse");
    await settle(50);
    await act(async () => dom.container.querySelector<HTMLElement>('[data-key="많은 파일/"]')!.click());
    await settle(50);
    await click("browser-view-grid");
    await settle(50);
    expect(byTestId("browser-view-grid").getAttribute("aria-pressed")).toBe("true");
    const grid = byTestId("browser-grid");
    const tiles = () => dom.container.querySelectorAll<HTMLElement>('[data-testid="browser-tile"]');
    expect(tiles().length, "tiles of the first rows").toBeGreaterThan(0);
    expect(tiles().length, "never more than a few rows of tiles").toBeLessThanOrEqual(40);
    const img = tiles()[0]!.querySelector("img");
    expect(img?.getAttribute("src"), "tiles take the core's grid thumbnail query").toContain(`?${backend.cdn.gridTileQuery}&token=`);
    for (let i = 0; i < 150 && byTestId("browser-status").textContent !== "100,000 items loaded"; i += 1) {
      await act(async () => {
        grid.scrollTop = Number.parseInt((grid.firstElementChild as HTMLElement).style.height, 10) - 480;
        grid.dispatchEvent(new Event("scroll"));
      });
      await settle(5);
    }
    expect(byTestId("browser-status").textContent).toBe("100,000 items loaded");
    await act(async () => {
      grid.scrollTop = Number.parseInt((grid.firstElementChild as HTMLElement).style.height, 10) - 480;
      grid.dispatchEvent(new Event("scroll"));
    });
    expect(dom.container.querySelector('[data-testid="browser-tile"][data-key="많은 파일/파일 100000.jpg"]'), "the last key at the bottom").not.toBeNull();
    expect(tiles().length, "still only a few rows in the DOM").toBeLessThanOrEqual(40);
    await act(async () => tiles()[0]!.click());
    await settle(50);
    expect(byTestId("object-panel").textContent, "a tile opens like a row").toContain("파일");
  }, 120_000);

  it("searches by prefix within the folder and keeps folders first", async () => {
    const backend = new MemoryBackend({ sources: [source] });
    await render(backend);
    await click("source-browse");
    await settle(50);
    await act(async () => dom.container.querySelector<HTMLElement>('[data-key="제품 이미지/"]')!.click());
    await settle(50);
    const kinds = [...dom.container.querySelectorAll<HTMLElement>('[data-testid="browser-row"]')].map((r) => r.dataset.kind);
    expect(kinds.slice(0, 2)).toEqual(["folder", "object"]);
    await type("browser-search", "상품 0012");
    await settle(400);
    const keys = [...dom.container.querySelectorAll<HTMLElement>('[data-testid="browser-row"]')].map((r) => r.dataset.key);
    expect(keys).toEqual(["제품 이미지/상품 0012 정면.jpg"]);
    expect(byTestId("browser-breadcrumb").textContent).toContain("제품 이미지");
  });
});

describe("the first screen in the sandbox", () => {
  it("offers the sandbox bucket, and the wizard opens with it filled in", async () => {
    const backend = new MemoryBackend({
      info: { sandbox: { state: "ready", endpoint: "http://127.0.0.1:5000", bucket: "acme-photos", region: "ap-northeast-2", profile: "bucketdesk-sandbox", objects: 12 } },
    });
    await render(backend);
    expect(byTestId("sources-add-sandbox").textContent).toContain("acme-photos");
    await click("sources-add-sandbox");
    await click("wizard-next");
    expect(byTestId<HTMLInputElement>("wizard-mode-reader").checked, "the sandbox's admin makes the reader").toBe(true);
    expect(byTestId<HTMLInputElement>("wizard-reader-user").value, "the core's default user").toBe(backend.info.defaultReaderUser);
    await click("wizard-next");
    expect(byTestId<HTMLInputElement>("wizard-bucket-input").value).toBe("acme-photos");
  });

  it("moves on with Enter and closes with Escape", async () => {
    const backend = new MemoryBackend();
    await render(backend);
    await click("sources-add");
    const wizard = byTestId("wizard");
    await act(async () => wizard.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true })));
    expect(byTestId("wizard-key-id"), "Enter went to step 2").toBeTruthy();
    expect(document.activeElement, "focus is on the step's first field").toBe(byTestId("wizard-mode-key"));
    await act(async () => wizard.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true })));
    expect(query("wizard"), "Escape closed it").toBeNull();
  });
});
