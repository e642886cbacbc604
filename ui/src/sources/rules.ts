// Helpers of the source screens that are not the core's rules (the core checks every typed
// field itself: `checkSourceField`): the local CDN path of a thumbnail (held to the core's
// URL fixture), the AWS console's CSV, sizes, ages and list windows.

/** `/{kind}/{source}/{key}` with each segment encoded as the core does (`encode_segment`). */
export function objectPath(kind: "image" | "file", source: string, relativeKey: string): string {
  const path = relativeKey.replace(/^\/+/, "").split("/").map(encodeSegment).join("/");
  return `/${kind}/${encodeSegment(source)}/${path}`;
}

export function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export type CsvKey = { accessKeyId: string; secretAccessKey: string };

/** Why a file is not a usable access key CSV (each has its own message). */
export type CsvProblem = "header" | "noRow" | "keyId" | "secret";

export type CsvResult = { ok: true; key: CsvKey } | { ok: false; problem: CsvProblem };

/**
 * Reads the `*_accessKeys.csv` the AWS console offers after creating a key: a header with
 * `Access key ID` and `Secret access key` (older files have `User name` and more columns
 * first), then the key on the first data row. A BOM, CRLF and quoted cells are accepted.
 */
export function parseAccessKeysCsv(text: string): CsvResult {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const cells = (line: string) => line.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1").trim());
  const header = lines[0] ? cells(lines[0]).map((h) => h.toLowerCase()) : [];
  const idAt = header.indexOf("access key id");
  const secretAt = header.indexOf("secret access key");
  if (idAt < 0 || secretAt < 0) return { ok: false, problem: "header" };
  if (!lines[1]) return { ok: false, problem: "noRow" };
  const row = cells(lines[1]);
  const accessKeyId = row[idAt] ?? "";
  const secretAccessKey = row[secretAt] ?? "";
  if (!/^[A-Z0-9]{16,128}$/.test(accessKeyId)) return { ok: false, problem: "keyId" };
  if (!/^\S{8,}$/.test(secretAccessKey)) return { ok: false, problem: "secret" };
  return { ok: true, key: { accessKeyId, secretAccessKey } };
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

/**
 * How long ago `iso` was, in the largest unit that fits ("3 minutes ago", "어제"); "—" when
 * `iso` is not a date.
 */
export function relativeAge(iso: string, language: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "—";
  const seconds = Math.round((then - now) / 1000);
  const format = new Intl.RelativeTimeFormat(language, { numeric: "auto" });
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["year", 365 * 86_400],
    ["month", 30 * 86_400],
    ["day", 86_400],
    ["hour", 3_600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit);
  }
  return format.format(0, "second");
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
