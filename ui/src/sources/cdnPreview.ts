// The form of the CDN preview: the options of the Weekerp Image API (DESIGN §2) as typed.
// The URLs themselves (production and local) are made by the core's one canonicalizer
// (`cdn_urls`), so what the GUI shows is byte for byte what `bucketdesk cdn url` prints. The
// only URL made here is a row thumbnail's, from the path encoding checked against the core's
// fixture (`ui/src/fixtures/cdn-urls.json`) and the thumbnail query the core hands out.

import { objectPath } from "./rules";

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

/** Where the local server is, the token its URLs need, and the queries of list and grid thumbnails. */
export type CdnEndpoint = { baseUrl: string; token: string; thumbnailQuery: string; gridTileQuery: string };

/** The options as the `name=value` pairs the core takes: the filled-in fields, as typed. */
export function optionPairs(o: PreviewOptions): [string, string][] {
  const fields: [string, string][] = [
    ["w", o.w],
    ["h", o.h],
    ["fit", o.fit],
    ["p", o.position],
    ["f", o.f],
    ["q", o.q],
    ["rotate", o.rotate],
  ];
  return fields.map(([n, v]): [string, string] => [n, v.trim()]).filter(([, v]) => v !== "");
}

/** A square thumbnail on the local server: a list row's (small) or a grid tile's. */
export function thumbnailUrl(endpoint: CdnEndpoint, source: string, relativeKey: string, size: "row" | "tile" = "row"): string {
  const token = `token=${encodeURIComponent(endpoint.token)}`;
  const query = size === "row" ? endpoint.thumbnailQuery : endpoint.gridTileQuery;
  return `${endpoint.baseUrl}${objectPath("image", source, relativeKey)}?${query}&${token}`;
}

const IMAGE_EXTENSIONS = /\.(jpe?g|png|gif|webp|avif|tiff?|bmp)$/i;

/** Whether a key looks like an image the CDN transforms (by content type, else extension). */
export function isImage(key: string, contentType: string | null = null): boolean {
  if (contentType && contentType.startsWith("image/")) return true;
  return IMAGE_EXTENSIONS.test(key);
}
