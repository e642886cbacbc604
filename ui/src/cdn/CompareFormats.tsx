// "Compare formats": the preview's image at the preview's size as JPEG, WebP and AVIF side by
// side, each shown from its local CDN URL (the production path and query), with its bytes and
// its SSIM against a lossless render of the same size. Which one is the smallest above the
// threshold is the core's answer (`cdnCompare` → `chosen`); nothing here re-decides it.

import { useEffect, useId, useState } from "react";
import { BackendError, type Backend, type Comparison } from "../backend/backend";
import { useI18n } from "../i18n/context";
import { humanSize } from "../sources/rules";

type State =
  | { state: "idle" }
  | { state: "running" }
  | { state: "done"; comparison: Comparison }
  | { state: "failed"; message: string };

const FORMAT_NAMES = { jpeg: "JPEG", webp: "WebP", avif: "AVIF", png: "PNG", gif: "GIF", tiff: "TIFF" } as const;

export function CompareFormats({
  backend,
  source,
  relativeKey,
  options,
}: {
  backend: Backend;
  source: string;
  relativeKey: string;
  /** The preview's options as `name=value` pairs (its `f` is replaced by each format). */
  options: [string, string][];
}) {
  const { t, language } = useI18n();
  const id = useId();
  const [threshold, setThreshold] = useState("0.95");
  const [result, setResult] = useState<State>({ state: "idle" });
  const asked = JSON.stringify([source, relativeKey, options]);
  const [askedFor, setAskedFor] = useState<string | null>(null);

  // Another image: the old comparison is not this one's.
  useEffect(() => {
    setResult({ state: "idle" });
    setAskedFor(null);
  }, [source, relativeKey]);

  const run = () => {
    const number = threshold.trim() === "" ? null : Number(threshold.replace(",", "."));
    setResult({ state: "running" });
    setAskedFor(asked);
    backend
      .cdnCompare(source, relativeKey, options, number === null || Number.isNaN(number) ? null : number)
      .then(
        (comparison) => setResult({ state: "done", comparison }),
        (thrown) => setResult({ state: "failed", message: BackendError.from(thrown).message }),
      );
  };
  const stale = result.state === "done" && askedFor !== asked;
  const number = new Intl.NumberFormat(language, { minimumFractionDigits: 4, maximumFractionDigits: 4 });

  return (
    <section className="cdn-compare" data-testid="cdn-compare" aria-labelledby={id}>
      <h3 id={id}>{t("cdn.compare.title")}</h3>
      <p className="muted">{t("cdn.compare.intro")}</p>
      <div className="cdn-compare-controls">
        <label className="field compact">
          <span>{t("cdn.compare.threshold")}</span>
          <input data-testid="compare-threshold" inputMode="decimal" value={threshold} onChange={(e) => setThreshold(e.target.value)} />
        </label>
        <button type="button" className="button-primary" data-testid="compare-run" disabled={result.state === "running"} onClick={run}>
          {result.state === "running" ? t("cdn.compare.running") : t("cdn.compare.run")}
        </button>
      </div>
      {result.state === "running" && (
        <p className="muted" role="status" data-testid="compare-status">
          {t("cdn.compare.working")}
        </p>
      )}
      {result.state === "failed" && (
        <p className="field-problem" role="alert" data-testid="compare-problem">
          {result.message}
        </p>
      )}
      {result.state === "done" && (
        <>
          <p data-testid="compare-summary" role="status">
            {t("cdn.compare.summary", {
              width: String(result.comparison.width),
              height: String(result.comparison.height),
              threshold: String(result.comparison.threshold),
            })}
            {stale && <span className="cdn-compare-stale" data-testid="compare-stale"> {t("cdn.compare.stale")}</span>}
          </p>
          {result.comparison.chosen === null && (
            <p className="field-problem" data-testid="compare-none">
              {t("cdn.compare.none", { threshold: String(result.comparison.threshold) })}
            </p>
          )}
          <div className="cdn-compare-grid">
            {result.comparison.candidates.map((c) => {
              const name = FORMAT_NAMES[c.format];
              const chosen = result.comparison.chosen === c.format;
              return (
                <figure key={c.format} className={chosen ? "cdn-candidate chosen" : "cdn-candidate"} data-testid={`compare-${c.format}`}>
                  {c.refusal === null ? (
                    <img
                      src={c.urls.local}
                      alt={t("cdn.compare.alt", { format: name, width: String(result.comparison.width), height: String(result.comparison.height) })}
                      data-testid={`compare-image-${c.format}`}
                    />
                  ) : (
                    <div className="cdn-candidate-refused">{t("cdn.compare.refused", { message: c.refusal })}</div>
                  )}
                  <figcaption>
                    <strong>{name}</strong>
                    {chosen && (
                      <span className="badge ok" data-testid="compare-chosen">
                        {t("cdn.compare.chosen")}
                      </span>
                    )}
                    {c.ssim !== null && !c.aboveThreshold && <span className="badge warn">{t("cdn.compare.under")}</span>}
                    {c.bytes !== null && c.ssim !== null && (
                      <dl className="cdn-candidate-facts">
                        <dt>{t("cdn.compare.bytes")}</dt>
                        <dd data-testid={`compare-bytes-${c.format}`}>{humanSize(c.bytes)}</dd>
                        <dt>SSIM</dt>
                        <dd data-testid={`compare-ssim-${c.format}`}>{number.format(c.ssim)}</dd>
                      </dl>
                    )}
                  </figcaption>
                </figure>
              );
            })}
          </div>
        </>
      )}
    </section>
  );
}
