// The rules of a source the UI checks before calling the core (which checks them again):
// identifier, BasePath, bucket name, the production CDN URL, and the AWS console's CSV.

export const CDN_BASE = "https://cdn.weekerp.com";

/** 3–63 lowercase letters, digits and hyphens, no hyphen at either end. */
export function isValidName(name: string): boolean {
  return /^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/.test(name);
}

/** S3 bucket naming: 3–63 lowercase letters, digits, dots, hyphens; letter/digit at the ends. */
export function isValidBucket(bucket: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && !bucket.includes("..");
}

/** `""`, `/` → `/`; `assets`, `/assets/` → `/assets`; `a//b/` → `/a/b`; null for `.`/`..`. */
export function normalizeBasePath(path: string): string | null {
  const segments = path.split("/").filter((s) => s !== "");
  if (segments.some((s) => s === "." || s === "..")) return null;
  return `/${segments.join("/")}`;
}

/** `https://cdn.weekerp.com/image/{name}/{path}`, each path segment percent-encoded. */
export function cdnUrl(name: string, relativeKey: string): string {
  const path = relativeKey.replace(/^\/+/, "").split("/").map(encodeURIComponent).join("/");
  return `${CDN_BASE}/image/${name}/${path}`;
}

export type CsvKey = { accessKeyId: string; secretAccessKey: string };

/** Reads the `*_accessKeys.csv` the AWS console offers after creating a key. */
export function parseAccessKeysCsv(text: string): CsvKey | null {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (lines.length < 2) return null;
  const header = lines[0]!.split(",").map((h) => h.trim().toLowerCase());
  const idAt = header.indexOf("access key id");
  const secretAt = header.indexOf("secret access key");
  if (idAt < 0 || secretAt < 0) return null;
  const row = lines[1]!.split(",").map((c) => c.trim());
  const accessKeyId = row[idAt] ?? "";
  const secretAccessKey = row[secretAt] ?? "";
  if (!/^[A-Z0-9]{16,128}$/.test(accessKeyId) || secretAccessKey === "") return null;
  return { accessKeyId, secretAccessKey };
}

/** Bytes as people read them: 1.2 MB. */
export function humanSize(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Which rows of a fixed-row-height list are visible, with `overscan` rows either side. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan = 8,
): { start: number; end: number } {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const shown = Math.ceil(viewportHeight / rowHeight);
  return {
    start: Math.max(0, first - overscan),
    end: Math.min(count, first + shown + overscan),
  };
}
