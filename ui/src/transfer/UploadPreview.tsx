// The upload preview, before anything is sent: the keys the core made (NFC, with a warning
// where that changed a name), the keys that exist already (overwrite, skip or rename, asked
// once for the batch), names the core refused (the 1,024-byte limit, control characters,
// two files making one key), the production CDN URL of the first image, and Cache-Control.

import { useState } from "react";
import type { KeyProblem, OnCollision, UploadPlan } from "../backend/backend";
import { useI18n } from "../i18n/context";
import type { Translate } from "../i18n/catalog";
import { humanSize } from "../sources/rules";
import { CopyButton } from "../sources/Wizard";

/** Rows of the table; the rest are counted below it. */
const SHOWN_ROWS = 200;

export function problemText(t: Translate, problem: KeyProblem): string {
  switch (problem.kind) {
    case "tooLong":
      return t("transfer.problem.tooLong", { bytes: problem.bytes });
    case "controlCharacter":
      return t("transfer.problem.control");
    case "sameKeyAs":
      return t("transfer.problem.sameKey", { other: problem.other });
  }
}

export function UploadPreview(props: {
  plan: UploadPlan;
  writerLabel: string;
  onStart: (onCollision: OnCollision, cacheControl: string | null) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const { plan } = props;
  const [onCollision, setOnCollision] = useState<OnCollision>("skip");
  const [cacheControl, setCacheControl] = useState("");
  const uploadable = plan.files.length - plan.problems - (onCollision === "skip" ? plan.collisions : 0);
  return (
    <section className="panel upload-preview" data-testid="upload-preview">
      <h2>{t("transfer.preview.title")}</h2>
      <p data-testid="upload-preview-summary">
        {t("transfer.preview.summary", { count: plan.files.length, size: humanSize(plan.totalBytes), prefix: plan.prefix || "/" })}
      </p>
      {plan.normalized > 0 && (
        <p className="warning" role="status" data-testid="upload-preview-nfc">
          {t("transfer.preview.normalized", { count: plan.normalized })}
        </p>
      )}
      {plan.problems > 0 && (
        <p className="field-problem" role="alert" data-testid="upload-preview-problems">
          {t("transfer.preview.problems", { count: plan.problems })}
        </p>
      )}
      {plan.collisions > 0 && (
        <fieldset className="field-set collision" data-testid="upload-preview-collisions">
          <legend>{t("transfer.preview.collisions", { count: plan.collisions })}</legend>
          {(["skip", "overwrite", "rename"] as const).map((choice) => (
            <label key={choice} className="choice">
              <input
                type="radio"
                name="on-collision"
                data-testid={`collision-${choice}`}
                checked={onCollision === choice}
                onChange={() => setOnCollision(choice)}
              />
              {t(`transfer.collision.${choice}`)}
            </label>
          ))}
        </fieldset>
      )}
      <table className="table upload-table" data-testid="upload-preview-table">
        <thead>
          <tr>
            <th>{t("transfer.preview.key")}</th>
            <th>{t("browser.size")}</th>
            <th>{t("browser.type")}</th>
            <th>{t("transfer.preview.note")}</th>
          </tr>
        </thead>
        <tbody>
          {plan.files.slice(0, SHOWN_ROWS).map((f) => (
            <tr key={f.path} data-testid="upload-preview-row" data-key={f.key}>
              <td>
                <code>{f.key}</code>
              </td>
              <td className="nowrap">{humanSize(f.size)}</td>
              <td>{f.contentType}</td>
              <td>
                {f.problem ? (
                  <span className="field-problem">{problemText(t, f.problem)}</span>
                ) : f.exists ? (
                  <span className="warning">{t("transfer.preview.exists")}</span>
                ) : (
                  <span className="muted">{t("transfer.preview.new")}</span>
                )}
                {f.normalizedFrom !== null && (
                  <span className="warning nfc-note" data-testid="upload-preview-nfc-row">
                    {" "}
                    {t("transfer.preview.wasNamed", { name: f.normalizedFrom })}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {plan.files.length > SHOWN_ROWS && <p className="muted">{t("transfer.preview.moreRows", { count: plan.files.length - SHOWN_ROWS })}</p>}
      {plan.firstImageUrl && (
        <>
          <p className="muted">{t("transfer.preview.firstUrl")}</p>
          <p className="url">
            <code data-testid="upload-preview-url">{plan.firstImageUrl}</code> <CopyButton text={plan.firstImageUrl} />
          </p>
        </>
      )}
      <p>
        <label className="upload-cache-control">
          {t("transfer.preview.cacheControl")}
          <input
            data-testid="upload-cache-control"
            value={cacheControl}
            placeholder="public, max-age=31536000, immutable"
            spellCheck={false}
            size={36}
            onChange={(e) => setCacheControl(e.target.value)}
          />
        </label>
      </p>
      <p className="muted" data-testid="upload-preview-writer">
        {props.writerLabel}
      </p>
      <div className="transfer-actions">
        <button type="button" className="button-quiet" data-testid="upload-preview-cancel" onClick={props.onCancel}>
          {t("transfer.back")}
        </button>
        <button
          type="button"
          className="button-primary"
          data-testid="upload-start"
          disabled={uploadable <= 0}
          onClick={() => props.onStart(onCollision, cacheControl.trim() || null)}
        >
          {t("transfer.preview.start", { count: Math.max(0, uploadable) })}
        </button>
      </div>
    </section>
  );
}
