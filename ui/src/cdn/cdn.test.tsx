// @vitest-environment happy-dom
// "Compare formats" and the srcset generator under the CDN preview, on the in-memory backend:
// what they ask the core for, and that they show its answer as it is (the choice of format is
// the core's `chosen`, the HTML is the core's, from ui/src/fixtures/cdn-srcset.json).

import { act } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import srcsetFixture from "../fixtures/cdn-srcset.json";
import { MemoryBackend } from "../backend/memory";
import type { Comparison } from "../backend/backend";
import { byTestId, click, dom, query, render, settle, type } from "../test/dom";

const PHOTO = "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg";

async function openPhoto(backend: MemoryBackend) {
  vi.stubGlobal("fetch", async () => new Response(new Blob([new Uint8Array(10)], { type: "image/webp" }), { status: 200 }));
  vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: () => "blob:preview", revokeObjectURL: () => {} }));
  await render(backend);
  await click("source-browse");
  await settle(50);
  for (const key of ["제품 이미지/", "제품 이미지/봄 컬렉션/", PHOTO]) {
    await act(async () => dom.container.querySelector<HTMLElement>(`[data-key="${key}"]`)!.click());
    await settle(50);
  }
  await settle(400);
}

function newBackend() {
  return new MemoryBackend({
    sources: [{ name: "shop", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…MPLE", endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null }],
  });
}

/** An answer as the core gives it: here the core chose WebP, though AVIF is smaller (under the threshold). */
function comparison(): Comparison {
  const urls = (f: string) => ({
    production: `https://cdn.weekerp.com/image/shop/x.jpg?w=400&h=300&f=${f}`,
    local: `http://127.0.0.1:7390/image/shop/x.jpg?w=400&h=300&f=${f}&token=t`,
    localFile: "http://127.0.0.1:7390/file/shop/x.jpg?token=t",
    query: `w=400&h=300&f=${f}`,
  });
  return {
    width: 400,
    height: 300,
    threshold: 0.95,
    referenceQuery: "w=400&h=300&f=png",
    chosen: "webp",
    candidates: [
      { format: "jpeg", urls: urls("jpeg"), bytes: 24100, ssim: 0.97312, aboveThreshold: true, refusal: null },
      { format: "webp", urls: urls("webp"), bytes: 15800, ssim: 0.96021, aboveThreshold: true, refusal: null },
      { format: "avif", urls: urls("avif"), bytes: 9100, ssim: 0.93555, aboveThreshold: false, refusal: null },
    ],
  };
}

afterEach(() => vi.unstubAllGlobals());

describe("compare formats", { timeout: 20000 }, () => {
  it("asks the core with the preview's options and shows each format from its local URL, marking the core's choice", async () => {
    const backend = newBackend();
    backend.comparison = comparison();
    const spy = vi.spyOn(backend, "cdnCompare");
    await openPhoto(backend);
    expect(query("compare-summary"), "nothing is compared before asked").toBeNull();
    await type("compare-threshold", "0.95");
    await click("compare-run");
    await settle(50);
    expect(spy).toHaveBeenCalledWith("shop", PHOTO, [["w", "400"], ["h", "300"], ["fit", "cover"], ["f", "webp"]], 0.95);
    expect(byTestId("compare-summary").textContent).toBe("400×300, threshold SSIM ≥ 0.95");
    for (const c of comparison().candidates) {
      expect(byTestId<HTMLImageElement>(`compare-image-${c.format}`).getAttribute("src"), "shown from the local CDN").toBe(c.urls.local);
    }
    expect(byTestId("compare-bytes-jpeg").textContent).toBe("24.1 KB");
    expect(byTestId("compare-ssim-avif").textContent).toBe("0.9356");
    const chosen = dom.container.querySelectorAll('[data-testid="compare-chosen"]');
    expect(chosen.length).toBe(1);
    expect(byTestId("compare-webp").contains(chosen[0]!), "the core's choice, not the smallest").toBe(true);
    expect(byTestId("compare-avif").textContent).toContain("Under the threshold");

    await type("preview-w", "800");
    await settle(400);
    expect(byTestId("compare-summary").textContent).toContain("The options changed since");
  });

  it("shows a refused format's message and says when none keeps the threshold", async () => {
    const backend = newBackend();
    const answer = comparison();
    answer.chosen = null;
    answer.candidates[2] = { ...answer.candidates[2]!, bytes: null, ssim: null, aboveThreshold: false, refusal: "400: width, height: 3000×2000 is over the 4 MP output limit for avif" };
    backend.comparison = answer;
    await openPhoto(backend);
    await click("compare-run");
    await settle(50);
    expect(query("compare-image-avif")).toBeNull();
    expect(byTestId("compare-avif").textContent).toContain("Not rendered: 400: width, height: 3000×2000 is over the 4 MP output limit for avif");
    expect(byTestId("compare-none").textContent).toContain("No format keeps SSIM ≥ 0.95");
  });

  it("shows the core's refusal of the whole comparison", async () => {
    const backend = newBackend();
    backend.failNext("cdnCompare", "invalid_input", "threshold: '2' must be a number from 0.5 to 1.");
    await openPhoto(backend);
    await type("compare-threshold", "2");
    await click("compare-run");
    await settle(50);
    expect(byTestId("compare-problem").textContent).toBe("threshold: '2' must be a number from 0.5 to 1.");
  });
});

describe("srcset generator", { timeout: 20000 }, () => {
  const html = (widths: string, options: [string, string][]) => {
    const found = srcsetFixture.cases.find((c) => c.request.widths === widths && JSON.stringify(c.request.options) === JSON.stringify(options) && c.request.sizes === "" && "html" in c);
    if (!found || !("html" in found) || !found.html) throw new Error(`no fixture case for ${widths}`);
    return found.html;
  };

  it("shows the core's HTML for the widths with the preview's format, and copies it", async () => {
    const copied: string[] = [];
    const backend = newBackend();
    await openPhoto(backend);
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText: async (text: string) => void copied.push(text) } });
    await settle(400);
    const first = html("320,640,1280", [["f", "webp"]]);
    expect(byTestId("srcset-img").textContent).toBe(first.img);
    expect(byTestId("srcset-picture").textContent).toBe(first.picture);
    expect(first.img, "production URLs, never the token").not.toContain("token");
    await click("srcset-copy-picture");
    await settle(20);
    expect(copied).toEqual([first.picture]);
    expect(byTestId("srcset-copy-picture").getAttribute("aria-label")).toBe("Copy the <picture> HTML");

    await type("srcset-widths", "320, 960");
    await settle(400);
    expect(byTestId("srcset-img").textContent).toBe(html("320, 960", [["f", "webp"]]).img);
  });

  it("names a bad width with the core's message", async () => {
    const backend = newBackend();
    await openPhoto(backend);
    await type("srcset-widths", "320,abc");
    await settle(400);
    const refusal = srcsetFixture.cases.find((c) => c.request.widths === "320,abc" && "language" in c && c.language === "en");
    expect(byTestId("srcset-problem").textContent).toBe(refusal && "error" in refusal ? refusal.error!.message : "?");
    expect(query("srcset-img")).toBeNull();
  });
});
