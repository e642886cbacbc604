// @vitest-environment happy-dom
// The CDN preview in the browser, on the in-memory backend with `fetch` stubbed as the local
// server: what it asks for, what it shows, and that the token stays out of the production URL.
// The URLs are the core's (the scripted backend answers from ui/src/fixtures/cdn-urls.json).

import { act } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import fixture from "../fixtures/cdn-urls.json";
import { MemoryBackend } from "../backend/memory";
import { byTestId, click, dom, render, settle, type } from "../test/dom";

const PHOTO = "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg";

/** The core's URLs of the photo with these options, from the fixture. */
function coreUrls(options: [string, string][]) {
  const found = fixture.cases.find((c) => c.key === PHOTO && JSON.stringify(c.options) === JSON.stringify(options));
  if (!found) throw new Error(`no fixture case for ${JSON.stringify(options)}`);
  return found.urls;
}

async function openPhoto() {
  const backend = new MemoryBackend({
    sources: [{ name: "shop", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…MPLE", endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null }],
  });
  await render(backend);
  await click("source-browse");
  await settle(50);
  for (const key of ["제품 이미지/", "제품 이미지/봄 컬렉션/", PHOTO]) {
    await act(async () => dom.container.querySelector<HTMLElement>(`[data-key="${key}"]`)!.click());
    await settle(50);
  }
  await settle(300);
  return backend;
}

afterEach(() => vi.unstubAllGlobals());

describe("CDN preview", () => {
  it("shows the core's URLs for the form, previews through the local server, and names a bad option", async () => {
    const requests: string[] = [];
    vi.stubGlobal("fetch", async (url: string) => {
      requests.push(url);
      return new Response(new Blob([new Uint8Array(1234)], { type: "image/webp" }), { status: 200, headers: { "content-type": "image/webp" } });
    });
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: () => "blob:preview", revokeObjectURL: () => {} }));
    const backend = await openPhoto();

    // The default preset: a 400×300 WebP card, in the core's canonical form (cover is the default).
    const card = coreUrls([["w", "400"], ["h", "300"], ["fit", "cover"], ["f", "webp"]]);
    expect(byTestId("preview-production-url").textContent).toBe(card.production);
    expect(card.production).toMatch(/\?w=400&h=300&f=webp$/);
    await settle(700);
    const last = requests.filter((u) => u.includes("/image/")).at(-1)!;
    expect(last).toBe(card.local);
    expect(byTestId("preview-result").textContent).toContain("1.2 KB");
    expect(byTestId("preview-result").textContent).toContain("image/webp");
    expect(byTestId("preview-original").getAttribute("src")).toBe(card.localFile);
    expect(byTestId("preview-production-url").textContent, "no token in what is copied").not.toContain("token");
    const thumbs = dom.container.querySelectorAll<HTMLImageElement>(".vrow .thumb");
    expect(thumbs.length, "image rows get thumbnails from the local CDN").toBeGreaterThan(0);
    expect(thumbs[0]!.src).toContain(`?${fixture.thumbnailQuery}&token=`);

    await click("preview-preset-hero");
    await settle(700);
    expect(byTestId("preview-production-url").textContent).toBe(coreUrls([["w", "1600"], ["f", "avif"]]).production);
    expect(requests.at(-1)).toContain("w=1600&f=avif&token=");

    // Out of range: the core's message, and nothing is requested.
    const before = requests.length;
    await type("preview-w", "0");
    await settle(700);
    const refusal = fixture.errors.find((e) => JSON.stringify(e.options) === JSON.stringify([["w", "0"], ["f", "avif"]]) && e.language === "en");
    expect(byTestId("preview-problem").textContent).toBe(refusal!.error.message);
    expect(requests.length, "no request for a bad option").toBe(before);

    await type("preview-w", "12");
    await type("preview-rotate", "90");
    await settle(700);
    expect(requests.at(-1)).toBe(coreUrls([["w", "12"], ["f", "avif"], ["rotate", "90"]]).local);
    expect(backend.calls.cdnUrls, "the UI asks the core for its URLs").toBeGreaterThan(2);
  }, 20000);

  it("shows the server's message when it refuses", async () => {
    vi.stubGlobal("fetch", async () => new Response(JSON.stringify({ code: "made_up", message: "fit: expected cover, contain, fill, inside or outside" }), { status: 400 }));
    await openPhoto();
    await settle(700);
    expect(byTestId("preview-result").textContent).toBe("The local CDN answered 400: fit: expected cover, contain, fill, inside or outside");
  });

  it("says a known refusal in the UI's language, with the server's detail", async () => {
    vi.stubGlobal("fetch", async () =>
      new Response(JSON.stringify({ code: "too_large", message: "the original is 30000×30000, over the 50000000 pixel limit" }), { status: 413 }),
    );
    await openPhoto();
    await settle(700);
    expect(byTestId("preview-result").textContent).toBe(
      "The original is too large to transform (bytes or pixels over the limit). (413: the original is 30000×30000, over the 50000000 pixel limit)",
    );
  });
});
