// The Add Source wizard (DESIGN §1): provider, credentials, bucket with detected region and
// BasePath, unique identifier, verification with a fix hint per check, save. The secret
// lives in this component's state only until it is saved or the wizard is closed.

import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { BackendError, type Backend, type CheckId, type Credentials, type FieldCheck, type FormField, type ReaderPlan, type SourceInput, type VerifyReport } from "../backend/backend";
import { useI18n } from "../i18n/context";
import { HandoffPanel } from "./HandoffPanel";
import { parseAccessKeysCsv } from "./rules";
import { useFieldChecks } from "./useFieldChecks";

type Step = 1 | 2 | 3 | 4 | 5 | 6;
const CHECKS: CheckId[] = ["identity", "get_bucket_location", "list_bucket", "get_object"];

interface Draft {
  compatible: boolean;
  /** "Create a dedicated reader for me" instead of a key the admin already has. */
  reader: boolean;
  user: string;
  /** AmazonS3ReadOnlyAccess (every bucket) instead of the least-privilege reader policy. */
  managedReadOnly: boolean;
  endpoint: string;
  region: string;
  keyId: string;
  secret: string;
  bucket: string;
  basePath: string;
  name: string;
}

type FieldId = keyof Draft;

const EMPTY: Draft = { compatible: false, reader: false, user: "", managedReadOnly: false, endpoint: "", region: "", keyId: "", secret: "", bucket: "", basePath: "/", name: "" };

/** Fields whose change makes the bucket list (fetched with the key, or the admin's) stale. */
const KEY_FIELDS: FieldId[] = ["compatible", "endpoint", "region", "keyId", "secret", "reader"];

/** The buckets the key may list, or why the name is typed instead. */
type Buckets = { state: "loading" } | { state: "listed"; names: string[] } | { state: "typed"; denied: boolean };

/** What a wizard may start with: the sandbox's offer fills in its bucket and the reader path. */
export type WizardStart = Partial<Pick<Draft, "reader" | "bucket" | "basePath">>;

export function Wizard(props: { backend: Backend; initial?: WizardStart; onClose: (saved: boolean) => void }) {
  const { t } = useI18n();
  const { backend } = props;
  const [step, setStep] = useState<Step>(1);
  const [draft, setDraft] = useState<Draft>({ ...EMPTY, ...props.initial });
  const root = useRef<HTMLElement>(null);
  const [error, setError] = useState<string | null>(null);
  /** Next was pressed with a problem: show the problems of empty fields too. */
  const [attempted, setAttempted] = useState(false);
  const [buckets, setBuckets] = useState<Buckets | null>(null);
  const [detected, setDetected] = useState<string | null>(null);
  const [detecting, setDetecting] = useState(false);
  const [report, setReport] = useState<VerifyReport | null>(null);
  /** The reader path: what "Create the reader" will attach, as the core will attach it. */
  const [plan, setPlan] = useState<ReaderPlan | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  /** Bumped on every edit: a result computed from an older draft is dropped. */
  const version = useRef(0);
  /** Bumped for each bucket listing asked, and when the key fields change: older answers are dropped. */
  const listing = useRef(0);

  const set = (patch: Partial<Draft>) => {
    version.current += 1;
    setDraft((d) => ({ ...d, ...patch }));
    setError(null);
    // A verification of other input says nothing about this one.
    setReport(null);
    // Another key or endpoint may list other buckets (the region typed beside the bucket in
    // step 3 does not change which buckets there are).
    if (step < 3 && KEY_FIELDS.some((f) => f in patch)) {
      listing.current += 1;
      setBuckets(null);
    }
  };
  const creds = (): Credentials => ({
    endpointUrl: draft.compatible ? draft.endpoint.trim() : null,
    region: draft.compatible ? draft.region.trim() || null : null,
    accessKeyId: draft.keyId.trim(),
    secretAccessKey: draft.secret.trim(),
  });
  const input = (): SourceInput => ({
    ...creds(),
    // Amazon S3: the region detected from the bucket (the core detects it again when null);
    // S3-compatible: what the admin typed, prefilled with the detected one.
    region: draft.compatible ? draft.region.trim() || null : detected,
    name: draft.name,
    bucket: draft.bucket.trim(),
    basePath: draft.basePath,
  });
  const fail = (thrown: unknown) => setError(BackendError.from(thrown).message);

  /** The typed fields the core checks, per step (the BasePath and the name are shown later too). */
  const checked = (only?: Step): [FormField, string][] => {
    const all: [Step, FormField, string, boolean][] = [
      [1, "endpoint", draft.endpoint, draft.compatible],
      [2, "user", draft.user, draft.reader],
      [3, "bucket", draft.bucket, true],
      [3, "basePath", draft.basePath, true],
      [4, "name", draft.name, true],
    ];
    return all.filter(([n, , , on]) => on && (only === undefined || n === only)).map(([, field, value]) => [field, value]);
  };
  const checks = useFieldChecks(backend, checked(), fail);
  const readerInput = () => ({
    bucket: draft.bucket.trim(),
    basePath: draft.basePath,
    user: draft.user.trim(),
    source: draft.name,
    managedReadOnly: draft.managedReadOnly,
  });

  // The reader's default user is the core's (shown, and sent as typed).
  useEffect(() => {
    let current = true;
    backend.appInfo().then(
      (info) => current && setDraft((d) => (d.user === "" ? { ...d, user: info.defaultReaderUser } : d)),
      () => {},
    );
    return () => {
      current = false;
    };
  }, [backend]);

  // Each step starts at its first field.
  useEffect(() => {
    root.current?.querySelector<HTMLElement>(".field-set input, .field-set select, [data-first]")?.focus();
  }, [step, draft.reader]);

  // Step 3: list buckets when the credentials in use may (the key, or the admin's for a
  // reader the wizard creates); otherwise the name is typed. The effect sets `buckets`
  // itself, so an answer is matched to its request by `listing` (bumped when the key
  // fields change), not by the effect's cleanup, which that very change would run.
  useEffect(() => {
    if (step !== 3 || buckets !== null) return;
    const asked = ++listing.current;
    setBuckets({ state: "loading" });
    (draft.reader ? backend.readerBuckets() : backend.listBuckets(creds())).then(
      (names) => asked === listing.current && setBuckets(names.length > 0 ? { state: "listed", names } : { state: "typed", denied: false }),
      (thrown) => {
        if (asked !== listing.current) return;
        const denied = BackendError.from(thrown).code === "access_denied";
        setBuckets({ state: "typed", denied });
        // Not being allowed to list is expected of a reader key; anything else is shown.
        if (!denied) fail(thrown);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [step, buckets === null]);

  // Detect the region whenever a bucket name the core accepts settles.
  const bucketOk = checks.get("bucket", draft.bucket)?.problem === null;
  useEffect(() => {
    const bucket = draft.bucket.trim();
    setDetected(null);
    if (step !== 3 || !bucketOk) return;
    let current = true;
    const timer = setTimeout(() => {
      setDetecting(true);
      (draft.reader ? backend.readerBucketRegion(bucket) : backend.detectRegion(creds(), bucket))
        .then(
          (region) => {
            if (!current) return;
            setDetected(region);
            // S3-compatible with a key: the detected region is a suggestion the admin may
            // change (a reader's source gets the region the core detects).
            if (draft.compatible && !draft.reader) setDraft((d) => ({ ...d, region }));
          },
          (thrown) => current && fail(thrown),
        )
        .finally(() => current && setDetecting(false));
    }, 400);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [draft.bucket, step, bucketOk]);

  // Step 5 of the reader path: the policy that will be attached, from the core.
  useEffect(() => {
    setPlan(null);
    if (step !== 5 || !draft.reader || saved) return;
    let current = true;
    backend.readerPlan(readerInput()).then(
      (p) => current && setPlan(p),
      (thrown) => current && fail(thrown),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [step, draft.reader, draft.managedReadOnly]);

  /**
   * What is wrong with each field of the current step: the core's verdict on each typed value
   * (`lookup`; a value not answered yet has no problem shown), and both halves of a key.
   */
  const problems = (lookup: (field: FormField, value: string) => FieldCheck | undefined = checks.get): Partial<Record<FieldId, string>> => {
    const found: Partial<Record<FieldId, string>> = {};
    for (const [field, value] of checked(step)) {
      const problem = lookup(field, value)?.problem;
      if (problem) found[field] = problem;
    }
    if (step === 2 && !draft.reader && draft.keyId.trim() === "") found.keyId = t("wizard.invalidKey");
    if (step === 2 && !draft.reader && draft.secret.trim() === "") found.secret = t("wizard.invalidKey");
    return found;
  };
  const current = problems();
  /** The problem shown beside a field: once it has a value (live), or after Next was pressed. */
  const problemOf = (field: FieldId): string | null => {
    const problem = current[field];
    if (!problem || problem === error) return null;
    const value = draft[field];
    return attempted || (typeof value === "string" && value.trim() !== "") ? problem : null;
  };

  const goTo = (next: Step) => {
    setError(null);
    setAttempted(false);
    setStep(next);
  };

  const next = async () => {
    // The core answers in a moment; Next waits for what it has not answered yet.
    const answers = new Map<FormField, FieldCheck>();
    try {
      for (const [field, value] of checked(step)) answers.set(field, await checks.ensure(field, value));
    } catch (thrown) {
      return fail(thrown);
    }
    const first = Object.values(problems((field) => answers.get(field)))[0];
    if (first) {
      setAttempted(true);
      setError(first);
      return;
    }
    if (step === 5 && !report?.ok) return;
    goTo(Math.min(6, step + 1) as Step);
  };

  const runVerify = async () => {
    const asked = version.current;
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      const result = await backend.verifySource(input());
      if (asked === version.current) setReport(result);
    } catch (thrown) {
      if (asked === version.current) fail(thrown);
    } finally {
      setBusy(false);
    }
  };

  const createReader = async () => {
    setBusy(true);
    setError(null);
    try {
      await backend.createReader(readerInput());
      setSaved(true);
      setStep(6);
      // The core verified the new key before saving; this report is what is shown (and
      // names a sample object). Failing to get it does not undo the saved source.
      try {
        setReport(await backend.verifySavedSource(draft.name));
      } catch (thrown) {
        fail(thrown);
      }
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
      setSaved(true);
      // From here on the UI never holds the secret again.
      setDraft((d) => ({ ...d, secret: "" }));
    } catch (thrown) {
      fail(thrown);
    } finally {
      setBusy(false);
    }
  };

  const importCsv = async (file: File | undefined) => {
    if (!file) return;
    if (file.size > 64 * 1024) return setError(t("wizard.csv.header"));
    const parsed = parseAccessKeysCsv(await file.text());
    if (parsed.ok) set({ keyId: parsed.key.accessKeyId, secret: parsed.key.secretAccessKey });
    else setError(t(`wizard.csv.${parsed.problem}`));
  };

  const close = () => {
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
  const shownBase = checks.get("basePath", draft.basePath)?.savedAs ?? null;
  const urlPrefix = checks.get("name", draft.name)?.urlPrefix ?? null;
  const sampleUrl = report?.cdnUrl ?? null;

  /** Enter moves on (when the step is valid; otherwise its problem is named), Esc closes. */
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      close();
      return;
    }
    const target = e.target as HTMLElement;
    if (e.key !== "Enter" || target.tagName === "BUTTON" || target.tagName === "TEXTAREA" || busy) return;
    if (step < 5 || (step === 5 && report?.ok)) {
      e.preventDefault();
      void next();
    }
  };

  return (
    <section className="wizard card" data-testid="wizard" aria-label={t("wizard.title")} ref={root} onKeyDown={onKeyDown}>
      <header className="wizard-head">
        <h2>{t("wizard.title")}</h2>
        <ol className="steps" data-testid="wizard-steps">
          {([1, 2, 3, 4, 5, 6] as Step[]).map((n) => (
            <li key={n} className={n === step ? "current" : n < step ? "done" : ""} aria-current={n === step ? "step" : undefined}>
              {n < step ? "✓ " : `${n}. `}
              {titles[n]}
            </li>
          ))}
        </ol>
        <p className="muted">{t("wizard.step", { n: step })}</p>
      </header>

      {step === 1 && (
        <fieldset className="field-set">
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
              <Field label={t("wizard.endpoint")} problem={problemOf("endpoint")}>
                <input data-testid="wizard-endpoint" value={draft.endpoint} placeholder="https://s3.example.com" spellCheck={false} onChange={(e) => set({ endpoint: e.target.value })} />
              </Field>
              <Field label={t("wizard.region")}>
                <input data-testid="wizard-region" value={draft.region} placeholder="us-east-1" spellCheck={false} onChange={(e) => set({ region: e.target.value })} />
              </Field>
              <p className="muted">{t("wizard.regionLater")}</p>
            </>
          )}
        </fieldset>
      )}

      {step === 2 && (
        <fieldset className="field-set">
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
              <Field label={t("wizard.readerUser")} problem={problemOf("user")}>
                <input data-testid="wizard-reader-user" value={draft.user} spellCheck={false} onChange={(e) => set({ user: e.target.value })} />
              </Field>
              <label className="choice">
                <input type="checkbox" data-testid="wizard-reader-managed" checked={draft.managedReadOnly} onChange={(e) => set({ managedReadOnly: e.target.checked })} />
                {t("wizard.readerManaged")}
              </label>
              <p className="muted">{t("wizard.readerExplain")}</p>
            </>
          ) : (
            <>
              <Field label={t("wizard.keyId")} problem={problemOf("keyId")}>
                <input data-testid="wizard-key-id" value={draft.keyId} autoComplete="off" spellCheck={false} onChange={(e) => set({ keyId: e.target.value })} />
              </Field>
              <Field label={t("wizard.secret")} problem={problemOf("secret")}>
                <input data-testid="wizard-secret" type="password" value={draft.secret} autoComplete="off" spellCheck={false} onChange={(e) => set({ secret: e.target.value })} />
              </Field>
              <Field label={t("wizard.importCsv")}>
                <input
                  type="file"
                  accept=".csv,text/csv"
                  data-testid="wizard-csv"
                  onChange={(e) => {
                    const file = e.target.files?.[0];
                    // Let the same file be chosen again after fixing it.
                    e.target.value = "";
                    void importCsv(file);
                  }}
                />
              </Field>
              <p className="muted">{t("wizard.secretStays")}</p>
            </>
          )}
        </fieldset>
      )}

      {step === 3 && (
        <fieldset className="field-set">
          <legend>{t("wizard.bucket")}</legend>
          {buckets?.state === "loading" && <p className="muted">{t("wizard.bucketsLoading")}</p>}
          {buckets?.state === "listed" && (
            <Field label={t("wizard.bucketChoose")}>
              <select data-testid="wizard-bucket-select" value={buckets.names.includes(draft.bucket.trim()) ? draft.bucket.trim() : ""} onChange={(e) => set({ bucket: e.target.value })}>
                <option value="">{t("wizard.bucketChooseOne")}</option>
                {buckets.names.map((b) => (
                  <option key={b} value={b}>
                    {b}
                  </option>
                ))}
              </select>
            </Field>
          )}
          {buckets?.state === "typed" && (
            <p className="muted" data-testid="wizard-bucket-note">
              {buckets.denied ? (draft.reader ? t("wizard.bucketTypedAdmin") : t("wizard.bucketTyped")) : t("wizard.bucketNone")}
            </p>
          )}
          <Field label={buckets?.state === "listed" ? t("wizard.bucketOrType") : t("wizard.bucketName")} problem={problemOf("bucket")}>
            <input data-testid="wizard-bucket-input" value={draft.bucket} placeholder="my-images" spellCheck={false} onChange={(e) => set({ bucket: e.target.value })} />
          </Field>
          <p className="muted" data-testid="wizard-detected-region" aria-live="polite">
            {detecting ? t("wizard.detecting") : detected ? t("wizard.detectedRegion", { region: detected }) : ""}
          </p>
          {draft.compatible && !draft.reader && (
            <Field label={t("wizard.region")}>
              <input data-testid="wizard-region" value={draft.region} placeholder="us-east-1" spellCheck={false} onChange={(e) => set({ region: e.target.value })} />
            </Field>
          )}
          <Field label={t("wizard.basePath")} problem={problemOf("basePath")}>
            <input data-testid="wizard-base-path" value={draft.basePath} spellCheck={false} onChange={(e) => set({ basePath: e.target.value })} />
          </Field>
          {shownBase && (
            <p className="muted" data-testid="wizard-base-path-shown">
              {t("wizard.basePathShown", { path: shownBase })}
            </p>
          )}
        </fieldset>
      )}

      {step === 4 && (
        <>
          <Field label={t("wizard.name")} problem={problemOf("name")}>
            <input data-testid="wizard-name" value={draft.name} spellCheck={false} autoComplete="off" onChange={(e) => set({ name: e.target.value })} />
          </Field>
          <p className="muted">{t("wizard.nameHint")}</p>
          {draft.name !== "" && !current.name && urlPrefix && (
            <p className="muted" data-testid="wizard-name-ok">
              ✓ {t("wizard.nameFree", { url: urlPrefix })}
            </p>
          )}
        </>
      )}

      {step === 5 && draft.reader && (
        <div>
          <p className="muted">{t("wizard.readerExplain")}</p>
          {plan ? <PolicyPreview plan={plan} /> : !error && <p className="muted">{t("wizard.policyLoading")}</p>}
          <button type="button" className="button-primary" data-testid="wizard-create-reader" disabled={busy || plan === null} onClick={() => void createReader()}>
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
          {report && !report.ok && <p className="muted">{t("wizard.fixAndRetry")}</p>}
        </div>
      )}

      {step === 6 && (
        <div>
          {!saved && !busy && report?.ok && (
            <>
              <p className="muted">{t("wizard.saveExplain")}</p>
              <button type="button" className="button-primary" data-testid="wizard-save" onClick={() => void save()}>
                {t("wizard.save")}
              </button>
            </>
          )}
          {busy && <p className="muted">{t("wizard.saving")}</p>}
          {saved && (
            <>
              <p>{t("wizard.saved", { name: draft.name })}</p>
              {draft.reader && report && <ReportView report={report} />}
              <p className="muted">{sampleUrl ? t("wizard.cdnUrl") : t("wizard.cdnUrlNoSample")}</p>
              <p className="url">
                <code data-testid="wizard-cdn-url">{sampleUrl ?? urlPrefix}</code>{" "}
                <CopyButton text={sampleUrl ?? urlPrefix ?? ""} />
              </p>
              {report?.sampleKey && <SamplePreview backend={backend} source={draft.name} sampleKey={report.sampleKey} />}
              <HandoffPanel backend={backend} source={draft.name} />
              <button type="button" className="button-primary" data-testid="wizard-done" onClick={close}>
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
        {!saved && (
          <button type="button" className="button-quiet" data-testid="wizard-cancel" onClick={close}>
            {t("common.cancel")}
          </button>
        )}
        {step > 1 && !saved && (
          <button type="button" className="button-quiet" data-testid="wizard-back" disabled={busy} onClick={() => goTo((step - 1) as Step)}>
            {t("wizard.back")}
          </button>
        )}
        {step < 6 && (
          <button type="button" className="button-primary" data-testid="wizard-next" disabled={busy || (step === 5 && !report?.ok)} onClick={() => void next()}>
            {t("wizard.next")}
          </button>
        )}
      </footer>
    </section>
  );
}

/** Copies `text`, saying so for a moment. */
export function CopyButton({ text, label, testId }: { text: string; label?: string; testId?: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <button
      type="button"
      className="button-quiet"
      data-testid={testId}
      aria-label={copied ? undefined : label}
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => setCopied(true), () => {});
      }}
    >
      {copied ? t("common.copied") : t("common.copy")}
    </button>
  );
}

function Field({ label, problem, children }: { label: string; problem?: string | null; children: ReactNode }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
      {problem && (
        <span className="field-problem" data-testid="wizard-field-problem">
          {problem}
        </span>
      )}
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

/** The saved source's sample image, live from the local CDN, as the production CDN will serve it. */
function SamplePreview({ backend, source, sampleKey }: { backend: Backend; source: string; sampleKey: string }) {
  const { t } = useI18n();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    backend.cdnUrls(source, sampleKey, [["w", "400"]]).then(
      (urls) => current && setUrl(urls.local),
      () => current && setUrl(null),
    );
    return () => {
      current = false;
    };
  }, [backend, source, sampleKey]);
  if (!url) return null;
  return (
    <figure className="sample-preview">
      <img src={url} alt={t("wizard.samplePreview")} data-testid="wizard-sample-preview" width={400} />
      <figcaption className="muted">{t("wizard.samplePreview")}</figcaption>
    </figure>
  );
}

/** What "Create the reader" will attach: the policy document as the core will attach it, with
 * the core's lint findings and a Copy button. */
function PolicyPreview({ plan }: { plan: ReaderPlan }) {
  const { t } = useI18n();
  return (
    <section className="policy-preview" data-testid="wizard-policy" aria-labelledby="wizard-policy-title">
      <h3 id="wizard-policy-title">
        {plan.managed ? t("wizard.policyManaged", { user: plan.user, policy: plan.policyName }) : t("wizard.policyInline", { user: plan.user, policy: plan.policyName })}
      </h3>
      <pre className="policy-document" data-testid="wizard-policy-document" tabIndex={0} aria-label={t("wizard.policyDocument")}>
        {plan.document}
      </pre>
      <p className="actions-row">
        <CopyButton text={plan.document} label={t("wizard.policyCopy")} testId="wizard-policy-copy" />
      </p>
      {plan.findings.length === 0 ? (
        <p className="muted" data-testid="wizard-policy-findings" data-count={0}>
          {t("iam.noFindings")}
        </p>
      ) : (
        <ul className="findings" data-testid="wizard-policy-findings" data-count={plan.findings.length} aria-label={t("wizard.policyFindings")}>
          {plan.findings.map((f) => (
            <li key={`${f.issue}:${f.detail}`} className="warning">
              <strong>{f.issue}</strong>: {f.detail}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
