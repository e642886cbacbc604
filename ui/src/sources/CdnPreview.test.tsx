// @vitest-environment happy-dom
// The CDN preview in the browser, on the in-memory backend with `fetch` stubbed as the local
// server: what it asks for, what it shows, and that the token stays out of the production URL.

import { act } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryBackend } from "../backend/memory";
import { byTestId, click, dom, render, settle, type } from "../test/dom";

const PHOTO = "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg";

async function openPhoto() {
  const backend = new MemoryBackend({
    sources: [{ name: "acme", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…MPLE", endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null }],
  });
  await render(backend);
  await click("source-browse");
  await settle(50);
  for (const key of ["제품 이미지/", "제품 이미지/봄 컬렉션/", PHOTO]) {
    await act(async () => dom.container.querySelector<HTMLElement>(`[data-key="${key}"]`)!.click());
    await settle(50);
  }
  return backend;
}

afterEach(() => vi.unstubAllGlobals());

describe("CDN preview", () => {
  it("builds the URL from the form, previews it through the local server, and names a bad option", async () => {
    const requests: string[] = [];
    vi.stubGlobal("fetch", async (url: string) => {
      requests.push(url);
      if (url.includes("w=0")) return new Response(JSON.stringify({ message: "width: must be 1–8192" }), { status: 400 });
      return new Response(new Blob([new Uint8Array(1234)], { type: "image/webp" }), { status: 200, headers: { "content-type": "image/webp" } });
    });
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: () => "blob:preview", revokeObjectURL: () => {} }));
    await openPhoto();

    // The default preset: a 400×300 WebP card.
    expect(byTestId("preview-production-url").textContent).toBe(
      "https://cdn.weekerp.com/image/acme/%EC%A0%9C%ED%92%88%20%EC%9D%B4%EB%AF%B8%EC%A7%80/%EB%B4%84%20%EC%BB%AC%EB%A0%89%EC%85%98/%EB%B2%9A%EA%BD%83%20%EC%82%AC%EC%A7%84%2001.jpg?w=400&h=300&fit=cover&f=webp",
    );
    await settle(400);
    const last = requests.filter((u) => u.includes("/image/")).at(-1)!;
    expect(last).toMatch(/^http:\/\/127\.0\.0\.1:7390\/image\/acme\/.*\?w=400&h=300&fit=cover&f=webp&token=memory-token$/);
    expect(byTestId("preview-result").textContent).toContain("1.2 KB");
    expect(byTestId("preview-result").textContent).toContain("image/webp");
    expect(byTestId("preview-original").getAttribute("src")).toContain("/file/acme/");
    expect(byTestId("preview-production-url").textContent, "no token in what is copied").not.toContain("token");
    const thumbs = dom.container.querySelectorAll<HTMLImageElement>(".vrow .thumb");
    expect(thumbs.length, "image rows get thumbnails from the local CDN").toBeGreaterThan(0);
    expect(thumbs[0]!.src).toContain("w=64&h=64&fit=cover");

    await click("preview-preset-hero");
    await settle(400);
    expect(byTestId("preview-production-url").textContent).toMatch(/\?w=1600&f=avif$/);
    expect(requests.at(-1)).toContain("w=1600&f=avif&token=");

    // Out of range: named at once, nothing is requested.
    const before = requests.length;
    await type("preview-w", "0");
    await settle(400);
    expect(byTestId("preview-problem").textContent).toContain("w must be a whole number from 1 to 8192");
    expect(requests.length, "no request for a bad option").toBe(before);

    // A 4xx from the server is shown with its message.
    await type("preview-w", "12");
    await type("preview-rotate", "90");
    await settle(400);
    expect(requests.at(-1)).toContain("w=12&f=avif&rotate=90");
  });

  it("shows the server's message when it refuses", async () => {
    vi.stubGlobal("fetch", async () => new Response(JSON.stringify({ code: "made_up", message: "fit: expected cover, contain, fill, inside or outside" }), { status: 400 }));
    await openPhoto();
    await settle(400);
    expect(byTestId("preview-result").textContent).toBe("The local CDN answered 400: fit: expected cover, contain, fill, inside or outside");
  });

  it("says a known refusal in the UI's language, with the server's detail", async () => {
    vi.stubGlobal("fetch", async () =>
      new Response(JSON.stringify({ code: "too_large", message: "the original is 30000×30000, over the 50000000 pixel limit" }), { status: 413 }),
    );
    await openPhoto();
    await settle(400);
    expect(byTestId("preview-result").textContent).toBe(
      "The original is too large to transform (bytes or pixels over the limit). (413: the original is 30000×30000, over the 50000000 pixel limit)",
    );
  });
});
