// The URL builder of the CDN preview: the options of the Weekerp Image API (DESIGN §2) as a
// form, turned into the production URL (what an admin ships) and the local preview URL (the
// same path and query on Bucketdesk's loopback server, plus the per-install token, which
// never appears in a production URL).

import { CDN_BASE, encodeSegment } from "./rules";

export const FITS = ["cover", "contain", "fill", "inside", "outside"] as const;
export const POSITIONS = ["centre", "top", "bottom", "left", "right"] as const;
export const FORMATS = ["webp", "avif", "jpg", "png", "gif", "tiff"] as const;

export type PreviewOptions = {
  w: string;
  h: string;
  fit: "" | (typeof FITS)[number];
  position: "" | (typeof POSITIONS)[number];
  f: "" | (typeof FORMATS)[number];
  q: string;
  rotate: string;
};

export const NO_OPTIONS: PreviewOptions = { w: "", h: "", fit: "", position: "", f: "", q: "", rotate: "" };

/** A few sizes admins ship most. */
export const PRESETS: { id: "thumb" | "card" | "detail" | "hero"; options: PreviewOptions }[] = [
  { id: "thumb", options: { ...NO_OPTIONS, w: "200", h: "200", fit: "cover" } },
  { id: "card", options: { ...NO_OPTIONS, w: "400", h: "300", fit: "cover", f: "webp" } },
  { id: "detail", options: { ...NO_OPTIONS, w: "800", f: "webp", q: "80" } },
  { id: "hero", options: { ...NO_OPTIONS, w: "1600", f: "avif" } },
];

/** Where the local server is and the token its URLs need. */
export type CdnEndpoint = { baseUrl: string; token: string };

export type OptionProblem = { option: "w" | "h" | "q" | "rotate"; min: number; max: number };

const RANGES: Record<OptionProblem["option"], [number, number]> = {
  w: [1, 8192],
  h: [1, 8192],
  q: [1, 100],
  rotate: [-360, 360],
};

/** The first option that is not a whole number in its range, or null. Empty means unset. */
export function optionProblem(o: PreviewOptions): OptionProblem | null {
  for (const option of ["w", "h", "q", "rotate"] as const) {
    const text = o[option].trim();
    if (text === "") continue;
    const [min, max] = RANGES[option];
    const n = Number(text);
    if (!/^-?\d+$/.test(text) || n < min || n > max) return { option, min, max };
  }
  return null;
}

/** The query, options in a fixed order, unset ones left out (`fit`/`position` only when they matter). */
export function optionQuery(o: PreviewOptions): string {
  const parts: [string, string][] = [];
  const push = (name: string, value: string) => {
    const v = value.trim();
    if (v !== "") parts.push([name, v]);
  };
  push("w", o.w);
  push("h", o.h);
  push("fit", o.fit);
  push("p", o.position);
  push("f", o.f);
  if (o.f === "" || o.f === "jpg" || o.f === "webp" || o.f === "avif") push("q", o.q);
  if (o.rotate.trim() !== "0") push("rotate", o.rotate);
  return parts.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
}

function objectPath(kind: "image" | "file", source: string, relativeKey: string): string {
  const path = relativeKey.replace(/^\/+/, "").split("/").map(encodeSegment).join("/");
  return `/${kind}/${source}/${path}`;
}

/** What an admin copies: no token, ever. */
export function productionUrl(source: string, relativeKey: string, o: PreviewOptions): string {
  const query = optionQuery(o);
  return `${CDN_BASE}${objectPath("image", source, relativeKey)}${query ? `?${query}` : ""}`;
}

/** The same path and query on the loopback server, with the token last. */
export function localUrl(endpoint: CdnEndpoint, source: string, relativeKey: string, o: PreviewOptions): string {
  const query = optionQuery(o);
  const token = `token=${encodeURIComponent(endpoint.token)}`;
  return `${endpoint.baseUrl}${objectPath("image", source, relativeKey)}?${query ? `${query}&` : ""}${token}`;
}

/** The original, untouched, through the local server's `/file` route. */
export function localFileUrl(endpoint: CdnEndpoint, source: string, relativeKey: string): string {
  return `${endpoint.baseUrl}${objectPath("file", source, relativeKey)}?token=${encodeURIComponent(endpoint.token)}`;
}

/** A small square thumbnail for the browser's rows. */
export function thumbnailUrl(endpoint: CdnEndpoint, source: string, relativeKey: string): string {
  return localUrl(endpoint, source, relativeKey, { ...NO_OPTIONS, w: "64", h: "64", fit: "cover", f: "webp", q: "60" });
}

const IMAGE_EXTENSIONS = /\.(jpe?g|png|gif|webp|avif|tiff?|bmp)$/i;

/** Whether a key looks like an image the CDN transforms (by content type, else extension). */
export function isImage(key: string, contentType: string | null = null): boolean {
  if (contentType && contentType.startsWith("image/")) return true;
  return IMAGE_EXTENSIONS.test(key);
}
