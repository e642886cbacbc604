// The browser's transfers: Upload (files or a folder, from the native dialog or dropped on
// the window) into the current folder after a preview, Download of the selection into a
// folder, Delete of the selection after a confirmation with the count, the writer picker,
// and the notice of the bucket's unfinished uploads. Every decision is the core's: this
// component asks, shows and passes the user's choices back.

import { useCallback, useEffect, useRef, useState } from "react";
import {
  BackendError,
  type Backend,
  type DeletePlan,
  type DeleteReport,
  type DownloadPlan,
  type DownloadReport,
  type OnCollision,
  type PathChoice,
  type ProgressSnapshot,
  type SourceSummary,
  type UploadPlan,
  type UploadReport,
  type Writer,
  type WriterChoice,
} from "../backend/backend";
import { useI18n } from "../i18n/context";
import { humanSize } from "../sources/rules";
import { CopyButton } from "../sources/Wizard";
import { TransferProgress } from "./TransferProgress";
import { UnfinishedUploads } from "./UnfinishedUploads";
import { UploadPreview } from "./UploadPreview";
import { WriterPicker } from "./WriterPicker";

/** What the browser has selected: objects and folders, relative to the BasePath. */
export type Selection = { keys: string[]; prefixes: string[] };

type Phase =
  | { kind: "idle" }
  | { kind: "busy"; what: string }
  | { kind: "preview"; paths: string[]; plan: UploadPlan }
  | { kind: "running"; title: string; snapshot: ProgressSnapshot | null; cancelling: boolean }
  | { kind: "uploaded"; report: UploadReport }
  | { kind: "confirmOverwrite"; plan: DownloadPlan; dest: string }
  | { kind: "downloaded"; report: DownloadReport; dest: string }
  | { kind: "confirmDelete"; plan: DeletePlan }
  | { kind: "deleted"; report: DeleteReport };

type Failure = { message: string; code: string; write: boolean };

/** Keys listed in the delete confirmation; the count says how many more. */
const SHOWN_KEYS = 10;

export function TransferBar(props: {
  backend: Backend;
  source: SourceSummary;
  prefix: string;
  selection: Selection;
  onChanged: () => void;
}) {
  const { t } = useI18n();
  const { backend, source, selection } = props;
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [failure, setFailure] = useState<Failure | null>(null);
  const [policy, setPolicy] = useState<string | null>(null);
  const [writer, setWriter] = useState<WriterChoice>({ kind: "admin" });
  const [writerInfo, setWriterInfo] = useState<Writer | null>(null);
  const [unfinished, setUnfinished] = useState(false);
  const [showUnfinished, setShowUnfinished] = useState(false);
  const [dropping, setDropping] = useState(false);
  const phaseRef = useRef(phase);
  phaseRef.current = phase;

  const fail = (thrown: unknown, write: boolean) => {
    const e = BackendError.from(thrown);
    setFailure({ message: e.message, code: e.code, write });
    setPolicy(null);
    setPhase({ kind: "idle" });
  };

  const checkUnfinished = useCallback(() => {
    backend.hasUnfinishedUploads(source.name, writer).then(setUnfinished, () => setUnfinished(false));
  }, [backend, source.name, writer]);

  useEffect(checkUnfinished, [checkUnfinished]);

  useEffect(() => {
    setWriterInfo(null);
    backend.describeWriter(source.name, writer).then(setWriterInfo, () => setWriterInfo(null));
  }, [backend, source.name, writer]);

  const preview = useCallback(
    async (paths: string[]) => {
      if (paths.length === 0) return;
      setFailure(null);
      setPhase({ kind: "busy", what: t("transfer.preparing") });
      try {
        const plan = await backend.planUpload(source.name, paths, props.prefix);
        setPhase({ kind: "preview", paths, plan });
      } catch (thrown) {
        fail(thrown, false);
      }
    },
    [backend, source.name, props.prefix, t],
  );

  // Files and folders dropped on the window go into the current folder, through the preview.
  useEffect(() => {
    let stop: (() => void) | null = null;
    let live = true;
    backend
      .onDroppedPaths((event) => {
        if (event.kind === "over") setDropping(true);
        else if (event.kind === "leave") setDropping(false);
        else {
          setDropping(false);
          if (phaseRef.current.kind === "idle" || phaseRef.current.kind === "uploaded") void preview(event.paths);
        }
      })
      .then(
        (unlisten) => {
          if (live) stop = unlisten;
          else unlisten();
        },
        () => {},
      );
    return () => {
      live = false;
      stop?.();
    };
  }, [backend, preview]);

  const pick = async (kind: PathChoice) => {
    try {
      await preview(await backend.choosePaths(kind));
    } catch (thrown) {
      fail(thrown, false);
    }
  };

  // A snapshot arriving after the batch ended (the channel and the answer travel apart) is
  // dropped: only a running batch takes it.
  const progress = (snapshot: ProgressSnapshot) => setPhase((p) => (p.kind === "running" ? { ...p, snapshot } : p));

  const upload = async (paths: string[], onCollision: OnCollision, cacheControl: string | null) => {
    const title = t("transfer.uploading", { prefix: props.prefix || "/" });
    setPhase({ kind: "running", title, snapshot: null, cancelling: false });
    try {
      const report = await backend.uploadFiles(source.name, { paths, prefix: props.prefix, onCollision, cacheControl, writer }, progress);
      setPhase({ kind: "uploaded", report });
      props.onChanged();
    } catch (thrown) {
      fail(thrown, true);
    }
    checkUnfinished();
  };

  const cancel = async () => {
    setPhase((p) => (p.kind === "running" ? { ...p, cancelling: true } : p));
    await backend.cancelTransfer().catch(() => {});
  };

  const hasSelection = selection.keys.length + selection.prefixes.length > 0;

  const download = async () => {
    setFailure(null);
    try {
      const [dest] = await backend.choosePaths("downloadFolder");
      if (!dest) return;
      setPhase({ kind: "busy", what: t("transfer.preparing") });
      const plan = await backend.planDownload(source.name, selection.keys, selection.prefixes, dest);
      if (plan.existing > 0) setPhase({ kind: "confirmOverwrite", plan, dest });
      else await runDownload(plan, dest, false);
    } catch (thrown) {
      fail(thrown, false);
    }
  };

  const runDownload = async (plan: DownloadPlan, dest: string, overwrite: boolean, onlyNew = false) => {
    const items = onlyNew ? plan.items.filter((i) => !i.exists) : plan.items;
    const title = t("transfer.downloading", { dest });
    setPhase({ kind: "running", title, snapshot: null, cancelling: false });
    try {
      const report = await backend.downloadFiles(source.name, items, overwrite, progress);
      setPhase({ kind: "downloaded", report, dest });
    } catch (thrown) {
      fail(thrown, false);
    }
  };

  const askDelete = async () => {
    setFailure(null);
    setPhase({ kind: "busy", what: t("transfer.counting") });
    try {
      const plan = await backend.planDelete(source.name, selection.keys, selection.prefixes);
      setPhase({ kind: "confirmDelete", plan });
    } catch (thrown) {
      fail(thrown, false);
    }
  };

  const runDelete = async (plan: DeletePlan) => {
    setPhase({ kind: "busy", what: t("transfer.deleting", { count: plan.count }) });
    try {
      const report = await backend.deleteObjects(source.name, plan.keys, writer);
      setPhase({ kind: "deleted", report });
      props.onChanged();
    } catch (thrown) {
      fail(thrown, true);
    }
  };

  const showPolicy = async () => {
    try {
      const generated = await backend.generatePolicy("uploader", source.bucket, source.basePath);
      setPolicy(generated.document);
    } catch (thrown) {
      setFailure({ message: BackendError.from(thrown).message, code: "internal", write: false });
    }
  };

  const idle = phase.kind === "idle" || phase.kind === "uploaded" || phase.kind === "downloaded" || phase.kind === "deleted";
  const writerLabel = writerInfo
    ? writerInfo.kind === "admin"
      ? t("transfer.writer.asAdmin", { profile: writerInfo.label ?? t("transfer.writer.defaultChain") })
      : t("transfer.writer.asKey", { key: writerInfo.label ?? "" })
    : t("transfer.writer.unknown");

  return (
    <div className="transfers" data-testid="transfers">
      {unfinished && !showUnfinished && (
        <div className="notice" data-testid="unfinished-notice" role="status">
          <p>{t("transfer.unfinished.notice", { bucket: source.bucket })}</p>
          <button type="button" className="button-quiet" data-testid="unfinished-open" onClick={() => setShowUnfinished(true)}>
            {t("transfer.unfinished.review")}
          </button>
        </div>
      )}
      <div className="transfer-toolbar" role="toolbar" aria-label={t("transfer.toolbar")}>
        <button type="button" className="button-primary" data-testid="upload-files" disabled={!idle} onClick={() => void pick("files")}>
          {t("transfer.uploadFiles")}
        </button>
        <button type="button" className="button-quiet" data-testid="upload-folder" disabled={!idle} onClick={() => void pick("folder")}>
          {t("transfer.uploadFolder")}
        </button>
        <button type="button" className="button-quiet" data-testid="download" disabled={!idle || !hasSelection} onClick={() => void download()}>
          {t("transfer.download")}
        </button>
        <button type="button" className="button-quiet danger" data-testid="delete" disabled={!idle || !hasSelection} onClick={() => void askDelete()}>
          {t("transfer.delete")}
        </button>
        <span className="muted transfer-hint">
          {hasSelection
            ? t("transfer.selected", { count: selection.keys.length + selection.prefixes.length })
            : t("transfer.dropHint", { prefix: props.prefix || "/" })}
        </span>
      </div>
      <WriterPicker backend={backend} source={source} writer={writer} onChange={setWriter} />
      {dropping && (
        <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
          {t("transfer.dropHere", { prefix: props.prefix || "/" })}
        </div>
      )}
      {failure && (
        <div className="panel transfer-failure" role="alert" data-testid="transfer-error">
          <p className="field-problem">{failure.message}</p>
          {failure.write && failure.code === "access_denied" && (
            <p>
              <button type="button" className="button-quiet" data-testid="show-uploader-policy" onClick={() => void showPolicy()}>
                {t("transfer.showUploaderPolicy")}
              </button>
            </p>
          )}
          {policy && (
            <>
              <p className="muted">{t("transfer.uploaderPolicyHint")}</p>
              <pre className="policy" data-testid="uploader-policy">
                {policy}
              </pre>
              <CopyButton text={policy} />
            </>
          )}
        </div>
      )}
      {phase.kind === "busy" && (
        <p className="muted" role="status" data-testid="transfer-busy">
          {phase.what}
        </p>
      )}
      {phase.kind === "preview" && (
        <UploadPreview
          plan={phase.plan}
          writerLabel={writerLabel}
          onCancel={() => setPhase({ kind: "idle" })}
          onStart={(onCollision, cacheControl) => void upload(phase.paths, onCollision, cacheControl)}
        />
      )}
      {phase.kind === "running" && (
        <TransferProgress title={phase.title} snapshot={phase.snapshot} cancelling={phase.cancelling} onCancel={() => void cancel()} />
      )}
      {phase.kind === "uploaded" && <UploadSummary report={phase.report} prefix={props.prefix || "/"} onClose={() => setPhase({ kind: "idle" })} />}
      {phase.kind === "confirmOverwrite" && (
        <section className="panel" data-testid="download-exists">
          <h2>{t("transfer.exists.title")}</h2>
          <p>{t("transfer.exists.body", { count: phase.plan.existing, dest: phase.dest })}</p>
          <ul className="failed-keys">
            {phase.plan.items
              .filter((i) => i.exists)
              .slice(0, SHOWN_KEYS)
              .map((i) => (
                <li key={i.path}>
                  <code>{i.path}</code>
                </li>
              ))}
          </ul>
          <div className="transfer-actions">
            <button type="button" className="button-quiet" data-testid="download-exists-cancel" onClick={() => setPhase({ kind: "idle" })}>
              {t("transfer.back")}
            </button>
            {phase.plan.items.length > phase.plan.existing && (
              <button type="button" className="button-quiet" data-testid="download-only-new" onClick={() => void runDownload(phase.plan, phase.dest, false, true)}>
                {t("transfer.exists.onlyNew", { count: phase.plan.items.length - phase.plan.existing })}
              </button>
            )}
            <button type="button" className="button-primary" data-testid="download-overwrite" onClick={() => void runDownload(phase.plan, phase.dest, true)}>
              {t("transfer.exists.replace", { count: phase.plan.existing })}
            </button>
          </div>
        </section>
      )}
      {phase.kind === "downloaded" && (
        <section className="panel" data-testid="download-done">
          <p>{t("transfer.downloaded", { count: phase.report.downloaded.length, dest: phase.dest })}</p>
          <FailedList failed={phase.report.failed} cancelled={phase.report.cancelled} />
          <p>
            <button type="button" className="button-quiet" onClick={() => setPhase({ kind: "idle" })}>
              {t("transfer.close")}
            </button>
          </p>
        </section>
      )}
      {phase.kind === "confirmDelete" && (
        <section className="panel delete-confirm" data-testid="delete-confirm" role="alertdialog" aria-label={t("transfer.deleteConfirm.title")}>
          <h2>{t("transfer.deleteConfirm.title")}</h2>
          <p data-testid="delete-count">
            {t("transfer.deleteConfirm.body", { count: phase.plan.count, size: humanSize(phase.plan.bytes), bucket: source.bucket })}
          </p>
          <ul className="failed-keys">
            {phase.plan.keys.slice(0, SHOWN_KEYS).map((k) => (
              <li key={k}>
                <code>{k}</code>
              </li>
            ))}
          </ul>
          {phase.plan.count > SHOWN_KEYS && <p className="muted">{t("transfer.preview.moreRows", { count: phase.plan.count - SHOWN_KEYS })}</p>}
          <p className="muted">{writerLabel}</p>
          <div className="transfer-actions">
            <button type="button" className="button-quiet" data-testid="delete-cancel" onClick={() => setPhase({ kind: "idle" })}>
              {t("transfer.back")}
            </button>
            <button type="button" className="button-danger" data-testid="delete-ok" disabled={phase.plan.count === 0} onClick={() => void runDelete(phase.plan)}>
              {t("transfer.deleteConfirm.ok", { count: phase.plan.count })}
            </button>
          </div>
        </section>
      )}
      {phase.kind === "deleted" && (
        <section className="panel" data-testid="delete-done">
          <p>{t("transfer.deleted", { count: phase.report.deleted })}</p>
          {phase.report.failed.length > 0 && (
            <>
              <p className="field-problem">{t("transfer.deleteFailed", { count: phase.report.failed.length })}</p>
              <ul className="failed-keys" data-testid="delete-failed">
                {phase.report.failed.map((f) => (
                  <li key={f.key}>
                    <code>{f.key}</code>: {f.error.message}
                  </li>
                ))}
              </ul>
            </>
          )}
          <p>
            <button type="button" className="button-quiet" onClick={() => setPhase({ kind: "idle" })}>
              {t("transfer.close")}
            </button>
          </p>
        </section>
      )}
      {showUnfinished && (
        <UnfinishedUploads
          backend={backend}
          source={source}
          writer={writer}
          onClose={() => setShowUnfinished(false)}
          onChanged={checkUnfinished}
        />
      )}
    </div>
  );
}

function UploadSummary({ report, prefix, onClose }: { report: UploadReport; prefix: string; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <section className="panel" data-testid="upload-done">
      <p>
        {report.uploaded.length === 0 && report.cancelled.length > 0
          ? t("transfer.uploadCancelled")
          : t("transfer.uploaded", { count: report.uploaded.length, prefix })}
        {report.skipped.length > 0 && ` ${t("transfer.skipped", { count: report.skipped.length })}`}
      </p>
      <FailedList failed={report.failed} cancelled={report.cancelled} />
      <p>
        <button type="button" className="button-quiet" data-testid="upload-done-close" onClick={onClose}>
          {t("transfer.close")}
        </button>
      </p>
    </section>
  );
}

function FailedList({ failed, cancelled }: { failed: { key: string; error: { message: string } }[]; cancelled: string[] }) {
  const { t } = useI18n();
  if (failed.length === 0 && cancelled.length === 0) return null;
  return (
    <>
      {cancelled.length > 0 && <p className="warning">{t("transfer.cancelledCount", { count: cancelled.length })}</p>}
      {failed.length > 0 && (
        <ul className="failed-keys" data-testid="transfer-failed">
          {failed.map((f) => (
            <li key={f.key} className="field-problem">
              <code>{f.key}</code>: {f.error.message}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
