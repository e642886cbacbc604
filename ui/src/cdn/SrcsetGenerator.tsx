// The `srcset` generator: responsive-image HTML for the preview's image with production URLs
// for the widths typed here, with the preview's format, quality and rotation. The widths are
// read, the URLs made and the HTML escaped by the core (`cdnSrcset`); this only shows it,
// with a Copy button per snippet.

import { useEffect, useId, useState } from "react";
import { BackendError, type Backend, type Srcset } from "../backend/backend";
import { useI18n } from "../i18n/context";
import { CopyHtml } from "./CopyHtml";

export function SrcsetGenerator({
  backend,
  source,
  relativeKey,
  options,
}: {
  backend: Backend;
  source: string;
  relativeKey: string;
  /** The preview's `f`, `q` and `rotate` (its size is the widths' business). */
  options: [string, string][];
}) {
  const { t } = useI18n();
  const id = useId();
  const [widths, setWidths] = useState("320,640,1280");
  const [sizes, setSizes] = useState("");
  const [alt, setAlt] = useState("");
  const [answer, setAnswer] = useState<{ html: Srcset | null; problem: string | null }>({ html: null, problem: null });
  const asked = JSON.stringify(options);

  // Asked after a short pause, so typing "1280" does not ask for 1, 12 and 128 first.
  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      backend.cdnSrcset(source, relativeKey, widths, JSON.parse(asked) as [string, string][], sizes, alt).then(
        (html) => current && setAnswer({ html, problem: null }),
        (thrown) => current && setAnswer({ html: null, problem: BackendError.from(thrown).message }),
      );
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [backend, source, relativeKey, widths, sizes, alt, asked]);

  return (
    <section className="cdn-srcset" data-testid="cdn-srcset" aria-labelledby={id}>
      <h3 id={id}>{t("cdn.srcset.title")}</h3>
      <p className="muted">{t("cdn.srcset.intro")}</p>
      <div className="cdn-srcset-form">
        <label className="field compact">
          <span>{t("cdn.srcset.widths")}</span>
          <input data-testid="srcset-widths" value={widths} aria-invalid={answer.problem !== null} onChange={(e) => setWidths(e.target.value)} />
        </label>
        <label className="field compact">
          <span>{t("cdn.srcset.sizes")}</span>
          <input data-testid="srcset-sizes" value={sizes} placeholder="100vw" onChange={(e) => setSizes(e.target.value)} />
        </label>
        <label className="field compact">
          <span>{t("cdn.srcset.alt")}</span>
          <input data-testid="srcset-alt" value={alt} onChange={(e) => setAlt(e.target.value)} />
        </label>
      </div>
      {answer.problem && (
        <p className="field-problem" role="alert" data-testid="srcset-problem">
          {answer.problem}
        </p>
      )}
      {answer.html && (
        <>
          <div className="cdn-snippet">
            <div className="cdn-snippet-head">
              <span>{t("cdn.srcset.img")}</span>
              <CopyHtml text={answer.html.img} label={t("cdn.srcset.copyImg")} testId="srcset-copy-img" />
            </div>
            <pre data-testid="srcset-img"><code>{answer.html.img}</code></pre>
          </div>
          <div className="cdn-snippet">
            <div className="cdn-snippet-head">
              <span>{t("cdn.srcset.picture")}</span>
              <CopyHtml text={answer.html.picture} label={t("cdn.srcset.copyPicture")} testId="srcset-copy-picture" />
            </div>
            <pre data-testid="srcset-picture"><code>{answer.html.picture}</code></pre>
          </div>
        </>
      )}
    </section>
  );
}
