// @vitest-environment happy-dom
// The Add Source wizard and the browser on the in-memory backend, with the selectors the GUI
// end-to-end test uses.

import { act } from "react";
import { describe, expect, it } from "vitest";
import { MemoryBackend } from "../backend/memory";
import { byTestId, click, dom, query, render, settle, type } from "../test/dom";

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
    expect(byTestId("wizard-check-identity").textContent).toContain("Check it and try again.");
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
    await click("source-remove");
    expect(byTestId("confirm").textContent).toContain("acme");
    await click("confirm-cancel");
    expect(backend.calls.removeSource).toBe(0);
    await click("source-remove");
    await click("confirm-ok");
    await settle(50);
    expect(backend.sources).toEqual([]);
    expect(query("source-row")).toBeNull();
  });

  it("verifies a saved source again and shows the report", async () => {
    const backend = saved();
    await render(backend);
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
    expect(byTestId<HTMLInputElement>("wizard-reader-user").value).toBe("weekerp-cdn-reader");
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

  it("rotates a source's key from the list", async () => {
    const backend = new MemoryBackend({
      sources: [{ name: "acme", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…MPLE", endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null }],
    });
    await render(backend);
    await click("source-rotate");
    await settle(50);
    expect(byTestId("source-rotated").textContent).toContain("AKIA…0001");
    expect(backend.sources[0]?.keyIdMasked).toBe("AKIA…0001");
  });

  it("offers to retire the other key when the user already has two", async () => {
    const backend = new MemoryBackend({
      sources: [{ name: "acme", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…MPLE", endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null }],
    });
    backend.failNext("rotateSourceKey", "invalid_input", "reader already has two keys (the IAM limit).");
    await render(backend);
    await click("source-rotate");
    await settle(50);
    expect(byTestId("source-rotated").textContent).toContain("two keys");
    await click("rotate-retire");
    await settle(50);
    expect(backend.calls.rotateSourceKey).toBe(2);
    expect(byTestId("source-rotated").textContent).toContain("AKIA…0001");
  });
});
