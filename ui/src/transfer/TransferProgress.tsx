// A running upload or download: a bar for the batch and one per file, with bytes, rate and
// time left (all from the core's progress, counted as bytes are acknowledged), and Cancel.

import type { FileProgress, ProgressSnapshot } from "../backend/backend";
import { useI18n } from "../i18n/context";
import { humanSize } from "../sources/rules";
import { etaText, percent, rateText } from "./format";

/** Files listed under the total bar; the rest are summed up in one line. */
const SHOWN_FILES = 50;

export function TransferProgress(props: {
  title: string;
  snapshot: ProgressSnapshot | null;
  cancelling: boolean;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const s = props.snapshot;
  const done = s?.bytesDone ?? 0;
  const total = s?.bytesTotal ?? 0;
  const pct = percent(done, total);
  // Files that are moving first, then the queue, then the finished ones.
  const order: Record<string, number> = { running: 0, queued: 1, failed: 2, cancelled: 3, done: 4, skipped: 5 };
  const files = [...(s?.files ?? [])].sort((a, b) => order[a.state]! - order[b.state]!);
  return (
    <section className="panel transfer-progress" data-testid="transfer-progress" aria-live="polite">
      <h2>{props.title}</h2>
      <div
        className="transfer-bar"
        data-testid="transfer-bar"
        role="progressbar"
        aria-label={t("transfer.progress.total")}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(pct)}
      >
        <div className="transfer-bar-fill" style={{ width: `${pct}%` }} />
      </div>
      <p className="transfer-total" data-testid="transfer-total">
        {t("transfer.progress.bytes", { done: humanSize(done), total: humanSize(total) })}
        {" · "}
        {rateText(s?.rate ?? 0)}
        {" · "}
        {t("transfer.progress.left", { eta: etaText(t, s?.etaSecs ?? null) })}
        {" · "}
        {t("transfer.progress.files", { done: s?.filesDone ?? 0, total: s?.filesTotal ?? 0 })}
      </p>
      <ul className="transfer-files">
        {files.slice(0, SHOWN_FILES).map((f, i) => (
          <FileLine key={`${f.key}:${i}`} file={f} />
        ))}
      </ul>
      {files.length > SHOWN_FILES && <p className="muted">{t("transfer.progress.moreFiles", { count: files.length - SHOWN_FILES })}</p>}
      <p>
        <button type="button" className="button-quiet danger" data-testid="transfer-cancel" disabled={props.cancelling} onClick={props.onCancel}>
          {props.cancelling ? t("transfer.cancelling") : t("transfer.cancel")}
        </button>
      </p>
    </section>
  );
}

function FileLine({ file }: { file: FileProgress }) {
  const { t } = useI18n();
  const pct = percent(file.bytesDone, file.bytesTotal);
  return (
    <li className={`transfer-file ${file.state}`} data-testid="transfer-file" data-state={file.state}>
      <span className="transfer-file-name" title={file.key}>
        {file.key}
      </span>
      <span
        className="transfer-bar small"
        role="progressbar"
        aria-label={t("transfer.progress.file", { key: file.key })}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(pct)}
      >
        <span className="transfer-bar-fill" style={{ width: `${pct}%` }} />
      </span>
      <span className="muted transfer-file-numbers">
        {file.state === "running"
          ? `${humanSize(file.bytesDone)} / ${humanSize(file.bytesTotal)} · ${rateText(file.rate)} · ${etaText(t, file.etaSecs)}`
          : `${humanSize(file.bytesTotal)} · ${t(`transfer.state.${file.state}`)}`}
      </span>
    </li>
  );
}
