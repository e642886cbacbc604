// The CDN preview of one image: a URL builder for the Weekerp Image API (w, h, fit, position,
// format, quality, rotate, and a few presets), the original and the transformed image side by
// side from Bucketdesk's loopback server, the output's bytes and dimensions, and the
// production URL to copy (which never carries the local token). Every URL comes from the
// core (`cdnUrls`); a bad option is named by the core's own message.

import { useEffect, useId, useState } from "react";
import { BackendError, type Backend } from "../backend/backend";
import { useI18n } from "../i18n/context";
import { humanSize } from "./rules";
import { CopyButton } from "./Wizard";
import { FITS, FORMATS, POSITIONS, PRESETS, optionPairs, type PreviewOptions } from "./cdnPreview";
import type { ImageUrls } from "../backend/backend";
import { CompareFormats } from "../cdn/CompareFormats";
import { SrcsetGenerator } from "../cdn/SrcsetGenerator";

type Result =
  | { state: "loading" }
  | { state: "ok"; objectUrl: string; bytes: number; type: string; width: number | null; height: number | null }
  | { state: "failed"; status: number; code: string | null; message: string };

/** The server's error codes that have a sentence of their own in both languages. */
const KNOWN_CODES = [
  "invalid_option",
  "invalid_path",
  "token_missing",
  "token_wrong",
  "forbidden_host",
  "no_such_source",
  "not_found",
  "too_large",
  "unsupported",
  "corrupt",
  "origin_refused",
  "origin_unreachable",
  "origin_timeout",
  "timeout",
] as const;
type KnownCode = (typeof KNOWN_CODES)[number];
const isKnown = (code: string | null): code is KnownCode => KNOWN_CODES.includes(code as KnownCode);

/** Fetches a preview URL and measures what comes back; aborted when the URL changes. */
function usePreview(url: string | null): Result | null {
  const [result, setResult] = useState<Result | null>(null);
  useEffect(() => {
    if (url === null) {
      setResult(null);
      return;
    }
    const abort = new AbortController();
    let objectUrl: string | null = null;
    setResult({ state: "loading" });
    // No pause here: the URL itself is asked for after one (`useImageUrls`).
    fetch(url, { signal: abort.signal })
      .then(async (response) => {
        if (!response.ok) {
          const text = (await response.text()).trim();
          let message = text;
          let code: string | null = null;
          try {
            const body = JSON.parse(text) as { code?: string; message?: string };
            message = body.message ?? text;
            code = body.code ?? null;
          } catch {
            // plain text
          }
          setResult({ state: "failed", status: response.status, code, message: message || response.statusText });
          return;
        }
        const blob = await response.blob();
        objectUrl = URL.createObjectURL(blob);
        setResult({ state: "ok", objectUrl, bytes: blob.size, type: blob.type, width: null, height: null });
      })
      .catch((thrown: unknown) => {
        if (abort.signal.aborted) return;
        setResult({ state: "failed", status: 0, code: null, message: thrown instanceof Error ? thrown.message : String(thrown) });
      });
    return () => {
      abort.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [url]);
  return result;
}

/** The core's URLs for the options, asked for after a short pause, so typing "1200" does not
 * ask for (and then preview) 1, 12 and 120 first. */
function useImageUrls(
  backend: Backend,
  source: string,
  relativeKey: string,
  options: PreviewOptions,
): { urls: ImageUrls | null; problem: string | null } {
  const [answer, setAnswer] = useState<{ urls: ImageUrls | null; problem: string | null }>({ urls: null, problem: null });
  const pairs = JSON.stringify(optionPairs(options));
  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      backend.cdnUrls(source, relativeKey, JSON.parse(pairs) as [string, string][]).then(
        (urls) => current && setAnswer({ urls, problem: null }),
        (thrown) => current && setAnswer({ urls: null, problem: BackendError.from(thrown).message }),
      );
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [backend, source, relativeKey, pairs]);
  return answer;
}

export function CdnPreview({ backend, source, relativeKey }: { backend: Backend; source: string; relativeKey: string }) {
  const { t } = useI18n();
  const id = useId();
  const [options, setOptions] = useState<PreviewOptions>(PRESETS[1]!.options);
  const [dims, setDims] = useState<{ width: number; height: number } | null>(null);

  const { urls, problem } = useImageUrls(backend, source, relativeKey, options);
  const url = urls && !problem ? urls.local : null;
  const result = usePreview(url);
  useEffect(() => setDims(null), [url]);

  const set = (name: keyof PreviewOptions) => (e: { target: { value: string } }) =>
    setOptions((o) => ({ ...o, [name]: e.target.value }));
  const numberField = (name: "w" | "h" | "q" | "rotate", label: string) => (
    <label className="field compact">
      <span>{label}</span>
      <input
        data-testid={`preview-${name}`}
        inputMode="numeric"
        value={options[name]}
        aria-invalid={problem !== null}
        onChange={set(name)}
      />
    </label>
  );

  return (
    <section className="card preview" data-testid="cdn-preview" aria-labelledby={id}>
      <h2 id={id}>{t("preview.title")}</h2>
      <div className="preview-presets">
        {PRESETS.map((p) => (
          <button key={p.id} type="button" className="button-quiet" data-testid={`preview-preset-${p.id}`} onClick={() => setOptions(p.options)}>
            {t(`preview.preset.${p.id}` as const)}
          </button>
        ))}
      </div>
      <div className="preview-form">
        {numberField("w", t("preview.width"))}
        {numberField("h", t("preview.height"))}
        <label className="field compact">
          <span>fit</span>
          <select data-testid="preview-fit" value={options.fit} onChange={set("fit")}>
            <option value="">{t("preview.default")}</option>
            {FITS.map((f) => <option key={f} value={f}>{f}</option>)}
          </select>
        </label>
        <label className="field compact">
          <span>{t("preview.position")}</span>
          <select data-testid="preview-position" value={options.position} onChange={set("position")}>
            <option value="">{t("preview.default")}</option>
            {POSITIONS.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </label>
        <label className="field compact">
          <span>{t("preview.format")}</span>
          <select data-testid="preview-format" value={options.f} onChange={set("f")}>
            <option value="">{t("preview.original")}</option>
            {FORMATS.map((f) => <option key={f} value={f}>{f}</option>)}
          </select>
        </label>
        {numberField("q", t("preview.quality"))}
        {numberField("rotate", t("preview.rotate"))}
      </div>
      {problem && (
        <p className="field-problem" role="alert" data-testid="preview-problem">
          {problem}
        </p>
      )}
      <p className="muted">{t("browser.cdnUrl")}</p>
      {urls && (
        <p className="url">
          <code data-testid="preview-production-url">{urls.production}</code> <CopyButton text={urls.production} />
        </p>
      )}
      {urls && (
        <div className="preview-pair">
          <figure>
            <img src={urls.localFile} alt={t("preview.original")} data-testid="preview-original" />
            <figcaption>{t("preview.original")}</figcaption>
          </figure>
          <figure>
            {result?.state === "ok" && (
              <img
                src={result.objectUrl}
                alt={t("preview.transformed")}
                data-testid="preview-image"
                onLoad={(e) => setDims({ width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })}
              />
            )}
            <figcaption data-testid="preview-result">
              {result === null || result.state === "loading"
                ? t("preview.loading")
                : result.state === "failed"
                  ? isKnown(result.code)
                    ? `${t(`preview.error.${result.code}` as const)} (${result.status}: ${result.message})`
                    : t("preview.failed", { status: String(result.status), message: result.message })
                  : `${humanSize(result.bytes)} · ${result.type || "?"}${dims ? ` · ${dims.width}×${dims.height}` : ""}`}
            </figcaption>
          </figure>
        </div>
      )}
      <CompareFormats backend={backend} source={source} relativeKey={relativeKey} options={optionPairs(options)} />
      <SrcsetGenerator
        backend={backend}
        source={source}
        relativeKey={relativeKey}
        options={optionPairs(options).filter(([name]) => name === "f" || name === "q" || name === "rotate")}
      />
    </section>
  );
}
