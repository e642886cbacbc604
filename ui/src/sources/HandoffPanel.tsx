// "Register in Weekerp": the values of Weekerp's Sources → Add Source → Amazon S3 form, in
// its order, each with a copy button. The secret stays hidden until "Reveal" (read from the
// keychain then); "Copy" puts it on the clipboard from the Rust side, and it is cleared again
// after 30 s. The admin confirms once Weekerp has it; "Check Weekerp" asks the production CDN
// for a sample image, once or again until it works.

import { useCallback, useEffect, useId, useState } from "react";
import { BackendError, type Backend, type Handoff, type ProductionCheck, type Progress } from "../backend/backend";
import { useI18n } from "../i18n/context";
import { CopyButton } from "./Wizard";

type Checking = { state: "idle" } | { state: "once" } | { state: "until"; progress: Progress | null };

export function HandoffPanel({ backend, source, onClose }: { backend: Backend; source: string; onClose?: () => void }) {
  const { t } = useI18n();
  const id = useId();
  const [handoff, setHandoff] = useState<Handoff | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState<number | null>(null);
  const [check, setCheck] = useState<ProductionCheck | null>(null);
  const [checking, setChecking] = useState<Checking>({ state: "idle" });

  const load = useCallback(
    async (reveal: boolean) => {
      try {
        setHandoff(await backend.sourceHandoff(source, reveal));
        setError(null);
      } catch (thrown) {
        setError(BackendError.from(thrown).message);
      }
    },
    [backend, source],
  );
  useEffect(() => {
    void load(false);
  }, [load]);

  const run = async (work: () => Promise<void>) => {
    try {
      await work();
      setError(null);
    } catch (thrown) {
      setError(BackendError.from(thrown).message);
    }
  };
  const checkOnce = () =>
    run(async () => {
      setChecking({ state: "once" });
      try {
        setCheck(await backend.checkWeekerp(source));
      } finally {
        setChecking({ state: "idle" });
      }
    });
  const checkUntil = () =>
    run(async () => {
      setChecking({ state: "until", progress: null });
      try {
        const ended = await backend.checkWeekerpUntilServed(source, (progress) => {
          setChecking({ state: "until", progress });
          setCheck(progress.last);
        });
        if (ended.check) setCheck(ended.check);
      } finally {
        setChecking({ state: "idle" });
      }
    });

  const secretShown = handoff?.fields.some((f) => f.secret && f.value !== null) ?? false;
  return (
    <section className="card handoff" data-testid="handoff" aria-labelledby={id}>
      <h2 id={id}>{t("handoff.title", { name: source })}</h2>
      <p className="muted">{t("handoff.explain")}</p>
      {error && <p className="field-problem" role="alert">{error}</p>}
      {handoff && (
        <dl className="handoff-fields">
          {handoff.fields.map((field) => (
            <div key={field.id} className="handoff-field" data-testid={`handoff-${field.id}`}>
              <dt>{field.label}</dt>
              <dd>
                {field.secret ? (
                  <>
                    <code data-testid="handoff-secret-value">{field.value ?? "••••••••••••••••"}</code>{" "}
                    <button type="button" className="button-quiet" data-testid="handoff-reveal" onClick={() => void load(!secretShown)}>
                      {secretShown ? t("handoff.hide") : t("handoff.reveal")}
                    </button>
                    <button
                      type="button"
                      className="button-quiet"
                      data-testid="handoff-copy-secret"
                      onClick={() => void run(async () => setCopied(await backend.copySourceSecret(source)))}
                    >
                      {t("common.copy")}
                    </button>
                  </>
                ) : (
                  <>
                    <code>{field.value}</code> <CopyButton text={field.value ?? ""} />
                  </>
                )}
              </dd>
            </div>
          ))}
        </dl>
      )}
      {copied !== null && (
        <p className="muted" role="status" data-testid="handoff-copied">
          {t("handoff.copied", { secs: copied })}
        </p>
      )}
      {handoff && (
        <p data-testid="handoff-registered" data-registered={String(handoff.registered)}>
          {handoff.registered ? (
            <span className="badge ok">{t("handoff.inWeekerp")}</span>
          ) : (
            <>
              <span className="badge warn">{t("handoff.notYet")}</span>{" "}
              <button
                type="button"
                className="button-primary"
                data-testid="handoff-confirm"
                onClick={() => void run(async () => { await backend.confirmInWeekerp(source, true); await load(secretShown); })}
              >
                {t("handoff.confirm")}
              </button>
            </>
          )}
        </p>
      )}
      <p className="actions-row">
        <button type="button" className="button-quiet" data-testid="handoff-check" disabled={checking.state !== "idle"} onClick={() => void checkOnce()}>
          {t("handoff.check")}
        </button>
        {checking.state === "until" ? (
          <button type="button" className="button-quiet" data-testid="handoff-check-cancel" onClick={() => void backend.cancelWeekerpCheck()}>
            {t("common.cancel")}
          </button>
        ) : (
          <button type="button" className="button-quiet" data-testid="handoff-check-until" disabled={checking.state !== "idle"} onClick={() => void checkUntil()}>
            {t("handoff.checkUntil")}
          </button>
        )}
        {onClose && (
          <button type="button" className="button-quiet" data-testid="handoff-close" onClick={onClose}>
            {t("common.close")}
          </button>
        )}
      </p>
      {checking.state === "until" && (
        <p className="muted" role="status" data-testid="handoff-check-progress">
          {checking.progress
            ? t("handoff.checkProgress", { attempt: checking.progress.attempt, elapsed: Math.round(checking.progress.elapsedSecs / 60), limit: Math.round(checking.progress.limitSecs / 60) })
            : t("handoff.checking")}
        </p>
      )}
      {check && (
        <div className={check.served ? "check-result ok" : "check-result failed"} data-testid="handoff-check-result" data-served={String(check.served)}>
          <p>{check.message}</p>
          {check.fix && <p className="muted">{check.fix}</p>}
          <p className="muted">
            <code>{check.url}</code>
          </p>
        </div>
      )}
    </section>
  );
}
