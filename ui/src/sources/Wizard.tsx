// The Add Source wizard (DESIGN §1): provider, credentials, bucket with detected region and
// BasePath, unique identifier, verification with a fix hint per check, save. The secret
// lives in this component's state only until it is saved or the wizard is closed.

import { useEffect, useState, type ReactNode } from "react";
import { BackendError, type Backend, type CheckId, type Credentials, type SourceInput, type VerifyReport } from "../backend/backend";
import { useI18n } from "../i18n/context";
import { isValidBucket, isValidName, normalizeBasePath, parseAccessKeysCsv } from "./rules";

type Step = 1 | 2 | 3 | 4 | 5 | 6;
const CHECKS: CheckId[] = ["identity", "get_bucket_location", "list_bucket", "get_object"];

interface Draft {
  compatible: boolean;
  /** "Create a dedicated reader for me" instead of a key the admin already has. */
  reader: boolean;
  user: string;
  endpoint: string;
  region: string;
  keyId: string;
  secret: string;
  bucket: string;
  basePath: string;
  name: string;
}

const EMPTY: Draft = { compatible: false, reader: false, user: "weekerp-cdn-reader", endpoint: "", region: "", keyId: "", secret: "", bucket: "", basePath: "/", name: "" };

export function Wizard(props: { backend: Backend; takenNames: string[]; onClose: (saved: boolean) => void }) {
  const { t } = useI18n();
  const { backend } = props;
  const [step, setStep] = useState<Step>(1);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [error, setError] = useState<string | null>(null);
  const [buckets, setBuckets] = useState<string[] | null>(null);
  const [detected, setDetected] = useState<string | null>(null);
  const [detecting, setDetecting] = useState(false);
  const [report, setReport] = useState<VerifyReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [savedUrl, setSavedUrl] = useState<string | null>(null);

  const set = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setError(null);
  };
  const creds = (): Credentials => ({
    endpointUrl: draft.compatible ? draft.endpoint.trim() : null,
    region: draft.compatible ? draft.region.trim() || null : detected,
    accessKeyId: draft.keyId.trim(),
    secretAccessKey: draft.secret.trim(),
  });
  const input = (): SourceInput => ({
    ...creds(),
    region: detected ?? (draft.region.trim() || null),
    name: draft.name,
    bucket: draft.bucket.trim(),
    basePath: draft.basePath,
  });
  const fail = (thrown: unknown) => setError(BackendError.from(thrown).message);

  // Step 3: list buckets when the key may; otherwise the name is typed.
  useEffect(() => {
    if (step !== 3 || buckets !== null || draft.reader) return;
    let current = true;
    backend.listBuckets({ ...creds(), region: draft.compatible ? draft.region.trim() || null : null }).then(
      (names) => current && setBuckets(names),
      () => current && setBuckets([]),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [step]);

  // Detect the region whenever a valid bucket name settles.
  useEffect(() => {
    const bucket = draft.bucket.trim();
    setDetected(null);
    if (step !== 3 || draft.reader || !isValidBucket(bucket)) return;
    let current = true;
    const timer = setTimeout(() => {
      setDetecting(true);
      backend
        .detectRegion({ ...creds(), region: draft.compatible ? draft.region.trim() || null : null }, bucket)
        .then((region) => current && setDetected(region), (thrown) => current && fail(thrown))
        .finally(() => current && setDetecting(false));
    }, 400);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [draft.bucket, step]);

  const problem = (): string | null => {
    if (step === 1 && draft.compatible && !/^https?:\/\/[^\s/]+/.test(draft.endpoint.trim())) return t("wizard.invalidEndpoint");
    if (step === 2 && draft.reader && !/^[\w+=,.@-]{1,64}$/.test(draft.user.trim())) return t("wizard.invalidUser");
    if (step === 2 && !draft.reader && (draft.keyId.trim() === "" || draft.secret.trim() === "")) return t("wizard.invalidKey");
    if (step === 3 && !isValidBucket(draft.bucket.trim())) return t("wizard.invalidBucket");
    if (step === 3 && normalizeBasePath(draft.basePath) === null) return t("wizard.invalidBasePath");
    if (step === 4 && !isValidName(draft.name)) return t("wizard.invalidName");
    if (step === 4 && props.takenNames.includes(draft.name)) return t("wizard.nameTaken");
    return null;
  };

  const next = () => {
    const p = problem();
    if (p) {
      setError(p);
      return;
    }
    if (step === 5 && !report?.ok) return;
    setError(null);
    setStep((s) => Math.min(6, s + 1) as Step);
  };

  const runVerify = async () => {
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      setReport(await backend.verifySource(input()));
    } catch (thrown) {
      fail(thrown);
    } finally {
      setBusy(false);
    }
  };

  const createReader = async () => {
    setBusy(true);
    setError(null);
    try {
      await backend.createReader({ bucket: draft.bucket.trim(), basePath: draft.basePath, user: draft.user.trim(), source: draft.name });
      const verified = await backend.verifySavedSource(draft.name);
      setReport(verified);
      setSavedUrl(verified.cdnUrl ?? "");
      setStep(6);
    } catch (thrown) {
      fail(thrown);
    } finally {
      setBusy(false);
    }
  };

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await backend.saveSource(input());
      setDraft((d) => ({ ...d, secret: "" }));
      setSavedUrl(report?.cdnUrl ?? null);
    } catch (thrown) {
      fail(thrown);
    } finally {
      setBusy(false);
    }
  };

  const importCsv = async (file: File | undefined) => {
    if (!file) return;
    const parsed = parseAccessKeysCsv(await file.text());
    if (parsed) set({ keyId: parsed.accessKeyId, secret: parsed.secretAccessKey });
    else setError(t("wizard.csvInvalid"));
  };

  const close = (saved: boolean) => {
    setDraft(EMPTY);
    props.onClose(saved);
  };

  const titles: Record<Step, string> = {
    1: t("wizard.provider"),
    2: t("wizard.credentials"),
    3: t("wizard.bucket"),
    4: t("wizard.name"),
    5: t("wizard.verify"),
    6: t("wizard.save"),
  };
  const shownBase = normalizeBasePath(draft.basePath);

  return (
    <section className="wizard card" data-testid="wizard" aria-label={t("wizard.title")}>
      <header className="wizard-head">
        <h2>{t("wizard.title")}</h2>
        <ol className="steps">
          {([1, 2, 3, 4, 5, 6] as Step[]).map((n) => (
            <li key={n} className={n === step ? "current" : n < step ? "done" : ""}>
              {titles[n]}
            </li>
          ))}
        </ol>
        <p className="muted">{t("wizard.step", { n: step })}</p>
      </header>

      {step === 1 && (
        <fieldset className="field">
          <legend>{t("wizard.provider")}</legend>
          <label className="choice">
            <input type="radio" name="provider" data-testid="wizard-provider-aws" checked={!draft.compatible} onChange={() => set({ compatible: false })} />
            {t("wizard.provider.aws")}
          </label>
          <label className="choice">
            <input type="radio" name="provider" data-testid="wizard-provider-compatible" checked={draft.compatible} onChange={() => set({ compatible: true })} />
            {t("wizard.provider.compatible")}
          </label>
          {draft.compatible && (
            <>
              <Field label={t("wizard.endpoint")}>
                <input data-testid="wizard-endpoint" value={draft.endpoint} placeholder="https://s3.example.com" onChange={(e) => set({ endpoint: e.target.value })} />
              </Field>
              <Field label={t("wizard.region")}>
                <input data-testid="wizard-region" value={draft.region} placeholder="us-east-1" onChange={(e) => set({ region: e.target.value })} />
              </Field>
            </>
          )}
        </fieldset>
      )}

      {step === 2 && (
        <fieldset className="field">
          <legend>{t("wizard.credentials")}</legend>
          <label className="choice">
            <input type="radio" name="cred" data-testid="wizard-mode-key" checked={!draft.reader} onChange={() => set({ reader: false })} />
            {t("wizard.haveKey")}
          </label>
          <label className="choice">
            <input type="radio" name="cred" data-testid="wizard-mode-reader" checked={draft.reader} onChange={() => set({ reader: true })} />
            {t("wizard.createReader")}
          </label>
          {draft.reader ? (
            <>
              <Field label={t("wizard.readerUser")}>
                <input data-testid="wizard-reader-user" value={draft.user} spellCheck={false} onChange={(e) => set({ user: e.target.value })} />
              </Field>
              <p className="muted">{t("wizard.readerExplain")}</p>
            </>
          ) : (
            <>
          <Field label={t("wizard.keyId")}>
            <input data-testid="wizard-key-id" value={draft.keyId} autoComplete="off" spellCheck={false} onChange={(e) => set({ keyId: e.target.value })} />
          </Field>
          <Field label={t("wizard.secret")}>
            <input data-testid="wizard-secret" type="password" value={draft.secret} autoComplete="off" onChange={(e) => set({ secret: e.target.value })} />
          </Field>
          <Field label={t("wizard.importCsv")}>
            <input type="file" accept=".csv,text/csv" data-testid="wizard-csv" onChange={(e) => void importCsv(e.target.files?.[0])} />
          </Field>
            </>
          )}
        </fieldset>
      )}

      {step === 3 && (
        <fieldset className="field">
          <legend>{t("wizard.bucket")}</legend>
          {buckets !== null && buckets.length > 0 ? (
            <select data-testid="wizard-bucket-select" value={draft.bucket} onChange={(e) => set({ bucket: e.target.value })}>
              <option value="">{t("wizard.bucketChoose")}</option>
              {buckets.map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          ) : (
            buckets !== null && <p className="muted">{t("wizard.bucketTyped")}</p>
          )}
          <input data-testid="wizard-bucket-input" value={draft.bucket} placeholder="my-images" spellCheck={false} onChange={(e) => set({ bucket: e.target.value })} />
          <p className="muted" data-testid="wizard-detected-region">
            {detecting ? t("wizard.detecting") : detected ? t("wizard.detectedRegion", { region: detected }) : ""}
          </p>
          <Field label={t("wizard.basePath")}>
            <input data-testid="wizard-base-path" value={draft.basePath} onChange={(e) => set({ basePath: e.target.value })} />
          </Field>
          {shownBase && <p className="muted">{t("wizard.basePathShown", { path: shownBase })}</p>}
        </fieldset>
      )}

      {step === 4 && (
        <Field label={t("wizard.name")}>
          <input data-testid="wizard-name" value={draft.name} spellCheck={false} onChange={(e) => set({ name: e.target.value })} />
          <p className="muted">{t("wizard.nameHint")}</p>
        </Field>
      )}

      {step === 5 && draft.reader && (
        <div>
          <p className="muted">{t("wizard.readerExplain")}</p>
          <button type="button" className="button-primary" data-testid="wizard-create-reader" disabled={busy} onClick={() => void createReader()}>
            {busy ? t("wizard.creatingReader") : t("wizard.createReaderRun")}
          </button>
        </div>
      )}

      {step === 5 && !draft.reader && (
        <div>
          <button type="button" className="button-primary" data-testid="wizard-verify-run" disabled={busy} onClick={() => void runVerify()}>
            {busy ? t("wizard.verifying") : report ? t("wizard.verifyAgain") : t("wizard.verifyRun")}
          </button>
          {report && <ReportView report={report} />}
        </div>
      )}

      {step === 6 && (
        <div>
          {savedUrl === null && !busy && report?.ok && (
            <>
              <p className="muted">{t("wizard.saveExplain")}</p>
              <button type="button" className="button-primary" data-testid="wizard-save" onClick={() => void save()}>
                {t("wizard.save")}
              </button>
            </>
          )}
          {busy && <p className="muted">{t("wizard.saving")}</p>}
          {savedUrl !== null && (
            <>
              <p>{t("wizard.saved", { name: draft.name })}</p>
              {draft.reader && report && <ReportView report={report} />}
              <p className="muted">{t("wizard.cdnUrl")}</p>
              <p>
                <code data-testid="wizard-cdn-url">{savedUrl}</code>{" "}
                <button type="button" className="button-quiet" onClick={() => void navigator.clipboard?.writeText(savedUrl)}>
                  {t("common.copy")}
                </button>
              </p>
              <button type="button" className="button-primary" data-testid="wizard-done" onClick={() => close(true)}>
                {t("wizard.done")}
              </button>
            </>
          )}
        </div>
      )}

      {error && (
        <p className="field-problem" role="alert" data-testid="wizard-error">
          {error}
        </p>
      )}

      <footer className="wizard-foot">
        <button type="button" className="button-quiet" onClick={() => close(false)}>
          {t("common.cancel")}
        </button>
        {step > 1 && savedUrl === null && (
          <button type="button" className="button-quiet" data-testid="wizard-back" onClick={() => { setError(null); setStep((s) => (s - 1) as Step); }}>
            {t("wizard.back")}
          </button>
        )}
        {step < 6 && (
          <button type="button" className="button-primary" data-testid="wizard-next" disabled={step === 5 && !report?.ok} onClick={next}>
            {t("wizard.next")}
          </button>
        )}
      </footer>
    </section>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

/** A verification report: one line per check with its mark, message and fix hint. */
export function ReportView({ report }: { report: VerifyReport }) {
  const { t } = useI18n();
  const mark = { passed: "✓", failed: "✗", skipped: "–" } as const;
  return (
    <div className="report" data-testid="verify-report">
      <ul className="checks">
        {CHECKS.map((id) => {
          const check = report.checks.find((c) => c.id === id);
          if (!check) return null;
          return (
            <li key={id} className={`check ${check.status}`} data-testid={`wizard-check-${id}`} data-status={check.status}>
              <span className="mark" aria-hidden>
                {mark[check.status]}
              </span>{" "}
              <strong>{t(`wizard.check.${id}`)}</strong>
              <div>{check.message}</div>
              {check.hint && <div className="hint">{check.hint}</div>}
            </li>
          );
        })}
      </ul>
      {report.regionCorrected && <p className="muted">{t("wizard.regionCorrected", { region: report.region })}</p>}
      {report.warnings.map((w) => (
        <p key={w} className="warning">
          {w}
        </p>
      ))}
    </div>
  );
}
