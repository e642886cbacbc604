// The destructive work, each in its own dialog and each confirmed by typing the bucket's
// name: Empty (the core's plan first, then progress and cancel, keys S3 refused listed, run
// again to continue), Delete (refused while not empty, with the offer to empty; the sources
// that point at it removed on request) and "Stop the costs" (the teardown's plan, then each
// step with its state, stopping at the first failure with what was done so far).

import { useCallback, useEffect, useState } from "react";
import { BackendError, type Backend } from "../backend/backend";
import { useI18n } from "../i18n/context";
import type { EmptyPlan, EmptyProgress, EmptyReport, TeardownPlan, TeardownReport, TeardownStep } from "./bucketAdmin";
import { Dialog, TypedName, formatBytes } from "./parts";

type Translate = ReturnType<typeof useI18n>["t"];

function PlanFacts({ plan }: { plan: EmptyPlan }) {
  const { t, language } = useI18n();
  const n = (v: number) => new Intl.NumberFormat(language).format(v);
  return (
    <table className="table bk-counts" data-testid="empty-plan">
      <tbody>
        <tr><th scope="row">{t("buckets.empty.objects")}</th><td data-testid="plan-objects">{n(plan.objects)}</td></tr>
        <tr><th scope="row">{t("buckets.empty.olderVersions")}</th><td data-testid="plan-older">{n(plan.olderVersions)}</td></tr>
        <tr><th scope="row">{t("buckets.empty.deleteMarkers")}</th><td data-testid="plan-markers">{n(plan.deleteMarkers)}</td></tr>
        <tr><th scope="row">{t("buckets.empty.uploads")}</th><td data-testid="plan-uploads">{n(plan.unfinishedUploads)}</td></tr>
        <tr><th scope="row">{t("buckets.empty.bytes")}</th><td data-testid="plan-bytes">{formatBytes(plan.bytes, language)}</td></tr>
      </tbody>
    </table>
  );
}

function LockExplained({ plan }: { plan: EmptyPlan }) {
  const { t, language } = useI18n();
  if (plan.canRun && plan.locked.governance === 0) return null;
  const until = plan.locked.complianceUntil ? new Date(plan.locked.complianceUntil).toLocaleDateString(language) : "—";
  return (
    <div className="bk-alarm" role="alert" data-testid="empty-locked">
      {!plan.canRun && <p>{t("buckets.empty.locked", { count: plan.locked.compliance, until })}</p>}
      {plan.locked.governance > 0 && <p>{t("buckets.empty.governance", { count: plan.locked.governance })}</p>}
    </div>
  );
}

function total(plan: EmptyPlan): number {
  return plan.objects + plan.olderVersions + plan.deleteMarkers;
}

export function EmptyDialog(props: { backend: Backend; bucket: string; onClose: () => void }) {
  const admin = props.backend.bucketAdmin;
  const { t, language } = useI18n();
  const { bucket } = props;
  const [plan, setPlan] = useState<EmptyPlan | null>(null);
  const [typed, setTyped] = useState("");
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<EmptyProgress | null>(null);
  const [report, setReport] = useState<EmptyReport | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const planNow = useCallback(async () => {
    setPlan(null);
    setReport(null);
    setProgress(null);
    setFailure(null);
    try {
      setPlan(await admin.emptyPlan(bucket));
    } catch (thrown) {
      setFailure(BackendError.from(thrown).message);
    }
  }, [admin, bucket]);
  useEffect(() => {
    void planNow();
  }, [planNow]);

  const run = async () => {
    setRunning(true);
    setFailure(null);
    try {
      setReport(await admin.empty(bucket, typed, setProgress));
    } catch (thrown) {
      setFailure(BackendError.from(thrown).message);
    } finally {
      setRunning(false);
    }
  };

  const all = plan ? total(plan) : 0;
  const done = progress?.deleted ?? 0;
  return (
    <Dialog title={t("buckets.empty.title", { bucket })} testId="empty-dialog" onClose={running ? null : props.onClose} wide>
      {!plan && !failure && <p className="muted">{t("buckets.empty.planning")}</p>}
      {plan && !report && (
        <>
          <p>{t("buckets.empty.plan")}</p>
          <PlanFacts plan={plan} />
          <LockExplained plan={plan} />
        </>
      )}
      {plan && !report && !running && plan.canRun && all + plan.unfinishedUploads === 0 && (
        <p className="verified-ok" data-testid="empty-nothing">{t("buckets.empty.nothing")}</p>
      )}
      {running && (
        <div data-testid="empty-progress" aria-live="polite">
          <progress max={Math.max(all, 1)} value={Math.min(done, all)} aria-label={t("buckets.empty.title", { bucket })} />
          <p>
            {t("buckets.empty.running", { deleted: done, total: all, aborted: progress?.uploadsAborted ?? 0, failed: progress?.failed ?? 0 })}
          </p>
        </div>
      )}
      {report && <EmptyReportView report={report} language={language} t={t} />}
      {failure && (
        <p className="field-problem" role="alert" data-testid="empty-failure">
          {failure}
        </p>
      )}
      {plan && plan.canRun && !report && !running && all + plan.unfinishedUploads > 0 && (
        <TypedName bucket={bucket} value={typed} onChange={setTyped} testId="empty-typed" />
      )}
      <div className="form-actions">
        {running ? (
          <button type="button" className="button-quiet" data-testid="empty-cancel" onClick={() => void admin.cancelJob()}>
            {t("buckets.stop")}
          </button>
        ) : (
          <button type="button" className="button-quiet" data-testid="empty-close" onClick={props.onClose}>
            {t("common.close")}
          </button>
        )}
        {report && (report.cancelled || !report.verifiedEmpty) && (
          <button type="button" className="button-primary" data-testid="empty-again" onClick={() => void planNow()}>
            {t("buckets.empty.again")}
          </button>
        )}
        {plan && plan.canRun && !report && !running && all + plan.unfinishedUploads > 0 && (
          <button type="button" className="button-primary danger-fill" data-testid="empty-run" disabled={typed.trim() === ""} onClick={() => void run()}>
            {t("buckets.empty.run")}
          </button>
        )}
      </div>
    </Dialog>
  );
}

function EmptyReportView({ report, language, t }: { report: EmptyReport; language: string; t: Translate }) {
  return (
    <div data-testid="empty-report">
      {report.cancelled ? (
        <p className="warning" data-testid="empty-cancelled">{t("buckets.empty.cancelled", { deleted: report.deleted })}</p>
      ) : report.verifiedEmpty ? (
        <p className="verified-ok" data-testid="empty-done">
          {t("buckets.empty.done", { deleted: report.deleted, bytes: formatBytes(report.bytesDeleted, language), aborted: report.uploadsAborted })}
        </p>
      ) : (
        <p className="warning" data-testid="empty-not-verified">{t("buckets.empty.notVerified")}</p>
      )}
      {report.failed.length > 0 && (
        <>
          <p className="field-problem">{t("buckets.empty.failedKeys", { count: report.failed.length })}</p>
          <table className="table" data-testid="empty-failed-keys">
            <thead>
              <tr>
                <th scope="col">{t("buckets.empty.key")}</th>
                <th scope="col">{t("buckets.empty.reason")}</th>
              </tr>
            </thead>
            <tbody>
              {report.failed.map((f, i) => (
                <tr key={`${f.key}-${f.versionId ?? ""}-${i}`}>
                  <td>
                    <code>{f.key}</code>
                    {f.versionId && <span className="muted"> ({f.versionId})</span>}
                  </td>
                  <td>
                    <code>{f.code}</code> {f.message}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

export function DeleteDialog(props: {
  backend: Backend;
  bucket: string;
  sources: string[];
  onEmptyFirst: () => void;
  onClose: () => void;
  onDeleted: (notice: string) => void;
}) {
  const admin = props.backend.bucketAdmin;
  const { t } = useI18n();
  const { bucket } = props;
  const [typed, setTyped] = useState("");
  const [removeSources, setRemoveSources] = useState(true);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<BackendError | null>(null);

  const run = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const done = await admin.deleteBucket(bucket, typed, removeSources && props.sources.length > 0);
      const parts = [t("buckets.delete.done", { bucket })];
      if (done.removedSources.length) parts.push(t("buckets.delete.removed", { sources: done.removedSources.join(", ") }));
      if (done.orphanedSources.length) parts.push(t("buckets.delete.orphaned", { sources: done.orphanedSources.join(", ") }));
      props.onDeleted(parts.join(" "));
    } catch (thrown) {
      setFailure(BackendError.from(thrown));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={t("buckets.delete.title", { bucket })} testId="delete-dialog" onClose={busy ? null : props.onClose}>
      <p>{t("buckets.delete.explain")}</p>
      {props.sources.length > 0 && (
        <label className="choice">
          <input type="checkbox" data-testid="delete-remove-sources" checked={removeSources} onChange={(e) => setRemoveSources(e.target.checked)} />
          <span>{t("buckets.delete.removeSources", { sources: props.sources.join(", ") })}</span>
        </label>
      )}
      <TypedName bucket={bucket} value={typed} onChange={setTyped} testId="delete-typed" />
      {failure && (
        <div className="field-problem" role="alert" data-testid="delete-failure">
          <p>{failure.message}</p>
          {failure.code === "bucket_not_empty" && (
            <button type="button" className="button-quiet" data-testid="delete-empty-first" onClick={props.onEmptyFirst}>
              {t("buckets.delete.notEmptyOffer")}
            </button>
          )}
        </div>
      )}
      <div className="form-actions">
        <button type="button" className="button-quiet" disabled={busy} onClick={props.onClose}>
          {t("common.cancel")}
        </button>
        <button type="button" className="button-primary danger-fill" data-testid="delete-run" disabled={busy || typed.trim() === ""} onClick={() => void run()}>
          {busy ? t("buckets.working") : t("buckets.delete.run")}
        </button>
      </div>
    </Dialog>
  );
}

function stepText(step: TeardownStep, plan: TeardownPlan, t: Translate): string {
  switch (step.step) {
    case "empty":
      return t("buckets.teardown.step.empty", {
        versions: plan.empty ? total(plan.empty) : 0,
        uploads: plan.empty?.unfinishedUploads ?? 0,
      });
    case "deleteBucket":
      return t("buckets.teardown.step.deleteBucket", { bucket: plan.bucket });
    case "removeSource":
      return t("buckets.teardown.step.removeSource", { name: step.name });
    case "deleteKey":
      return t("buckets.teardown.step.deleteKey", { key: step.accessKeyId, user: step.user });
    case "deleteUser":
      return t("buckets.teardown.step.deleteUser", { name: step.name });
  }
}

type StepState = "pending" | "running" | "done" | "failed";

export function TeardownDialog(props: { backend: Backend; bucket: string; onClose: (finished: boolean, notice?: string) => void }) {
  const admin = props.backend.bucketAdmin;
  const { t } = useI18n();
  const { bucket } = props;
  const [deleteUsers, setDeleteUsers] = useState(false);
  const [plan, setPlan] = useState<TeardownPlan | null>(null);
  const [typed, setTyped] = useState("");
  const [running, setRunning] = useState<number | null>(null);
  const [emptyProgress, setEmptyProgress] = useState<EmptyProgress | null>(null);
  const [report, setReport] = useState<TeardownReport | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    setPlan(null);
    setFailure(null);
    admin.teardownPlan(bucket, deleteUsers).then(
      (p) => current && setPlan(p),
      (thrown) => current && setFailure(BackendError.from(thrown).message),
    );
    return () => {
      current = false;
    };
  }, [admin, bucket, deleteUsers]);

  const run = async (p: TeardownPlan) => {
    setRunning(0);
    setFailure(null);
    try {
      const done = await admin.teardown(p, typed, (progress) => {
        setRunning(progress.index);
        setEmptyProgress(progress.empty);
      });
      setReport(done);
    } catch (thrown) {
      setFailure(BackendError.from(thrown).message);
    } finally {
      setRunning(null);
    }
  };

  const stateOf = (index: number): StepState => {
    if (report) {
      if (index < report.done.length) return "done";
      return report.failed && index === report.done.length ? "failed" : "pending";
    }
    if (running === null) return "pending";
    return index < running ? "done" : index === running ? "running" : "pending";
  };
  const finished = report !== null && report.failed === null;
  return (
    <Dialog title={t("buckets.teardown.title", { bucket })} testId="teardown-dialog" onClose={running !== null ? null : () => props.onClose(finished, finished ? t("buckets.teardown.done") : undefined)} wide>
      <p>{t("buckets.teardown.explain")}</p>
      <label className="choice">
        <input type="checkbox" data-testid="teardown-delete-users" checked={deleteUsers} disabled={running !== null || report !== null} onChange={(e) => setDeleteUsers(e.target.checked)} />
        <span>{t("buckets.teardown.deleteUsers")}</span>
      </label>
      {!plan && !failure && <p className="muted">{t("buckets.teardown.planning")}</p>}
      {plan && (
        <>
          {plan.empty && <LockExplained plan={plan.empty} />}
          {plan.steps.length === 0 ? (
            <p className="muted" data-testid="teardown-nothing">{t("buckets.teardown.nothing")}</p>
          ) : (
            <ol className="bk-steps" data-testid="teardown-steps">
              {plan.steps.map((step, i) => {
                const state = stateOf(i);
                return (
                  <li key={i} className={`bk-step ${state}`} data-testid="teardown-step" data-state={state}>
                    <span className="bk-step-mark" aria-hidden="true">{state === "done" ? "✓" : state === "failed" ? "✗" : state === "running" ? "…" : "·"}</span>
                    <span>{stepText(step, plan, t)}</span>
                    <span className="muted bk-step-state">{t(`buckets.teardown.status.${state}`)}</span>
                    {state === "running" && step.step === "empty" && emptyProgress && (
                      <span className="bk-step-detail">{t("buckets.empty.running", { deleted: emptyProgress.deleted, total: plan.empty ? total(plan.empty) : 0, aborted: emptyProgress.uploadsAborted, failed: emptyProgress.failed })}</span>
                    )}
                  </li>
                );
              })}
            </ol>
          )}
          {plan.keptKeys.length > 0 && (
            <div data-testid="teardown-kept">
              <p className="strong">{t("buckets.teardown.kept")}</p>
              <ul>
                {plan.keptKeys.map((k) => (
                  <li key={k.accessKeyId}>
                    {k.notMadeByBucketdesk
                      ? t("buckets.teardown.keptNotOurs", { key: k.accessKeyId, user: k.user ?? "—" })
                      : t("buckets.teardown.keptElsewhere", { key: k.accessKeyId, user: k.user ?? "—", sources: k.usedElsewhereBy.join(", ") })}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </>
      )}
      {report && plan && (
        <div data-testid="teardown-report">
          {report.failed ? (
            <div className="bk-alarm" role="alert" data-testid="teardown-failed">
              <p>{t("buckets.teardown.failed", { step: stepText(report.failed.step, plan, t), message: report.failed.message })}</p>
              <p>{t("buckets.teardown.doneSoFar", { count: report.done.length, total: plan.steps.length })}</p>
            </div>
          ) : (
            <p className="verified-ok" data-testid="teardown-done">{t("buckets.teardown.done")}</p>
          )}
          {report.empty && report.empty.failed.length > 0 && <EmptyReportView report={report.empty} language="" t={t} />}
        </div>
      )}
      {failure && (
        <p className="field-problem" role="alert" data-testid="teardown-failure">
          {failure}
        </p>
      )}
      {plan && plan.canRun && plan.steps.length > 0 && !report && running === null && (
        <TypedName bucket={bucket} value={typed} onChange={setTyped} testId="teardown-typed" />
      )}
      <div className="form-actions">
        {running !== null ? (
          <button type="button" className="button-quiet" data-testid="teardown-cancel" onClick={() => void admin.cancelJob()}>
            {t("buckets.stop")}
          </button>
        ) : (
          <button type="button" className="button-quiet" data-testid="teardown-close" onClick={() => props.onClose(finished, finished ? t("buckets.teardown.done") : undefined)}>
            {t("common.close")}
          </button>
        )}
        {plan && plan.canRun && plan.steps.length > 0 && !report && running === null && (
          <button type="button" className="button-primary danger-fill" data-testid="teardown-run" disabled={typed.trim() === ""} onClick={() => void run(plan)}>
            {t("buckets.teardown.run")}
          </button>
        )}
      </div>
    </Dialog>
  );
}
