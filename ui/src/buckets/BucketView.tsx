// One bucket opened: its facts, Block Public Access (the four settings, each explained, set
// together or one by one; turning one off needs the typed acknowledgement), the bucket
// policy (PolicyCard), the lifecycle rules with the abort-unfinished-uploads rule, and the
// destructive work (empty, delete, stop the costs), each behind its own dialog.

import { useCallback, useEffect, useId, useRef, useState } from "react";
import { BackendError, type Backend } from "../backend/backend";
import { useI18n } from "../i18n/context";
import type { BucketDetails, Lifecycle, PublicAccess, RuleSummary, Setting, SettingView } from "./bucketAdmin";
import { Badges } from "./BucketsPage";
import { DeleteDialog, EmptyDialog, TeardownDialog } from "./DangerDialogs";
import { PolicyCard } from "./PolicyCard";

type Danger = "empty" | "delete" | "teardown" | null;

export function BucketView(props: { backend: Backend; bucket: string; onBack: (notice?: string) => void }) {
  const { backend, bucket } = props;
  const admin = backend.bucketAdmin;
  const { t, language } = useI18n();
  const id = useId();
  const [details, setDetails] = useState<BucketDetails | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [danger, setDanger] = useState<Danger>(null);
  const [offer, setOffer] = useState<{ setting: Setting; at: number } | null>(null);
  const bpaRef = useRef<HTMLElement>(null);

  const load = useCallback(async () => {
    try {
      setDetails(await admin.details(bucket));
      setError(null);
    } catch (thrown) {
      setError(BackendError.from(thrown).message);
    }
  }, [admin, bucket]);
  useEffect(() => {
    void load();
  }, [load]);

  const s = details?.summary;
  return (
    <section className="page bk-page" data-testid="bucket-view" data-name={bucket} aria-labelledby={id}>
      <button type="button" className="button-quiet bk-back" data-testid="bucket-back" onClick={() => props.onBack()}>
        ← {t("buckets.back")}
      </button>
      <h1 id={id}>{bucket}</h1>
      {error && (
        <p className="field-problem" role="alert" data-testid="bucket-error">
          {error}
        </p>
      )}
      {!details && !error && <p className="muted">{t("buckets.details.loading", { bucket })}</p>}
      {details && s && (
        <>
          <div className="card">
            <Badges bucket={s} />
            <dl className="facts" data-testid="bucket-facts">
              <dt>{t("buckets.col.region")}</dt>
              <dd>{s.region ?? "—"}</dd>
              <dt>{t("buckets.col.created")}</dt>
              <dd>{s.created ? new Date(s.created).toLocaleString(language) : "—"}</dd>
              <dt>{t("buckets.facts.versioning")}</dt>
              <dd>{s.versioning ? t(`buckets.versioning.${s.versioning}`) : "—"}</dd>
              <dt>{t("buckets.facts.objectLock")}</dt>
              <dd>
                {details.objectLock.enabled
                  ? t("buckets.objectLock.on", { mode: details.objectLock.defaultMode ?? "—" })
                  : t("buckets.objectLock.off")}
              </dd>
              <dt>{t("buckets.col.sources")}</dt>
              <dd>{s.sources.length ? s.sources.join(", ") : t("buckets.noSources")}</dd>
            </dl>
          </div>
          <section ref={bpaRef} className="card" data-testid="bpa-card" aria-labelledby={`${id}-bpa`}>
            <h2 id={`${id}-bpa`}>{t("buckets.bpa.title")}</h2>
            {s.publicAccess ? (
              <PublicAccessForm
                backend={backend}
                bucket={bucket}
                current={s.publicAccess}
                offer={offer}
                onSaved={() => void load()}
              />
            ) : (
              <p className="muted">{t("buckets.unreadableHint", { actions: "s3:GetBucketPublicAccessBlock" })}</p>
            )}
          </section>
          <PolicyCard
            backend={backend}
            bucket={bucket}
            current={details.policy?.text ?? null}
            access={s.publicAccess}
            onSaved={() => void load()}
            onOfferTurnOff={(setting) => {
              setOffer({ setting, at: Date.now() });
              bpaRef.current?.scrollIntoView({ block: "start", behavior: "smooth" });
            }}
          />
          <LifecycleCard backend={backend} bucket={bucket} lifecycle={details.lifecycle} onChanged={() => void load()} />
          <section className="card bk-danger" data-testid="danger-card" aria-labelledby={`${id}-danger`}>
            <h2 id={`${id}-danger`}>{t("buckets.danger.title")}</h2>
            <p className="muted">{t("buckets.danger.explain")}</p>
            <div className="actions-row">
              <button type="button" className="button-quiet danger" data-testid="bucket-empty" onClick={() => setDanger("empty")}>
                {t("buckets.empty.open")}
              </button>
              <button type="button" className="button-quiet danger" data-testid="bucket-delete" onClick={() => setDanger("delete")}>
                {t("buckets.delete.open")}
              </button>
              <button type="button" className="button-quiet danger" data-testid="bucket-teardown" onClick={() => setDanger("teardown")}>
                {t("buckets.teardown.open")}
              </button>
            </div>
          </section>
        </>
      )}
      {danger === "empty" && (
        <EmptyDialog
          backend={backend}
          bucket={bucket}
          onClose={() => {
            setDanger(null);
            void load();
          }}
        />
      )}
      {danger === "delete" && (
        <DeleteDialog
          backend={backend}
          bucket={bucket}
          sources={s?.sources ?? []}
          onEmptyFirst={() => setDanger("empty")}
          onClose={() => setDanger(null)}
          onDeleted={(notice) => props.onBack(notice)}
        />
      )}
      {danger === "teardown" && (
        <TeardownDialog
          backend={backend}
          bucket={bucket}
          onClose={(finished, notice) => {
            setDanger(null);
            if (finished) props.onBack(notice);
            else void load();
          }}
        />
      )}
    </section>
  );
}

const SETTINGS: (keyof PublicAccess)[] = ["blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"];

function PublicAccessForm(props: {
  backend: Backend;
  bucket: string;
  current: PublicAccess;
  offer: { setting: Setting; at: number } | null;
  onSaved: () => void;
}) {
  const admin = props.backend.bucketAdmin;
  const { t } = useI18n();
  const [draft, setDraft] = useState<PublicAccess>(props.current);
  const [views, setViews] = useState<SettingView[]>([]);
  const [ack, setAck] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const { current, offer } = props;

  useEffect(() => setDraft(current), [current]);
  useEffect(() => {
    if (offer) setDraft((d) => ({ ...d, [offer.setting]: false }));
  }, [offer]);
  useEffect(() => {
    admin.explainPublicAccess(draft).then(setViews, (thrown) => setFailure(BackendError.from(thrown).message));
  }, [admin, draft]);

  const turningOff = SETTINGS.filter((k) => current[k] && !draft[k]);
  const changed = SETTINGS.some((k) => current[k] !== draft[k]);

  const apply = async (next: PublicAccess) => {
    setBusy(true);
    setFailure(null);
    setSaved(false);
    try {
      const off = SETTINGS.some((k) => current[k] && !next[k]);
      await admin.setPublicAccess(props.bucket, next, off ? ack : null);
      setAck("");
      setSaved(true);
      props.onSaved();
    } catch (thrown) {
      setFailure(BackendError.from(thrown).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid="bpa-form">
      <p className="muted">{t("buckets.bpa.explain")}</p>
      <ul className="bk-settings">
        {views.map((v) => (
          <li key={v.setting} data-testid={`bpa-${v.setting}`}>
            <label className="choice">
              <input
                type="checkbox"
                data-testid={`bpa-toggle-${v.setting}`}
                checked={draft[v.setting]}
                onChange={(e) => {
                  setSaved(false);
                  setDraft({ ...draft, [v.setting]: e.target.checked });
                }}
              />
              <span>
                <code>{v.name}</code>
                <span className="bk-explain">{v.explanation}</span>
              </span>
            </label>
          </li>
        ))}
      </ul>
      <div className="actions-row">
        <button type="button" className="button-quiet" data-testid="bpa-all-on" onClick={() => setDraft({ blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true })}>
          {t("buckets.bpa.allOn")}
        </button>
        <button type="button" className="button-quiet" data-testid="bpa-all-off" onClick={() => setDraft({ blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: false })}>
          {t("buckets.bpa.allOff")}
        </button>
      </div>
      {turningOff.length > 0 && (
        <div className="warning bk-ack" data-testid="bpa-ack-box">
          <p className="strong">{t("buckets.bpa.turningOff", { settings: turningOff.map((k) => views.find((v) => v.setting === k)?.name ?? k).join(", ") })}</p>
          <label className="field">
            <span>{t("buckets.bpa.ackLabel", { bucket: props.bucket })}</span>
            <input data-testid="bpa-ack" value={ack} autoComplete="off" spellCheck={false} onChange={(e) => setAck(e.target.value)} />
          </label>
        </div>
      )}
      {failure && (
        <p className="field-problem" role="alert" data-testid="bpa-failure">
          {failure}
        </p>
      )}
      {saved && (
        <p className="verified-ok" role="status" data-testid="bpa-saved">
          {t("buckets.bpa.saved")}
        </p>
      )}
      <div className="form-actions">
        <button
          type="button"
          className="button-primary"
          data-testid="bpa-apply"
          disabled={busy || !changed || (turningOff.length > 0 && ack.trim() === "")}
          onClick={() => void apply(draft)}
        >
          {busy ? t("buckets.working") : t("buckets.bpa.apply")}
        </button>
      </div>
    </div>
  );
}

function LifecycleCard(props: { backend: Backend; bucket: string; lifecycle: Lifecycle; onChanged: () => void }) {
  const admin = props.backend.bucketAdmin;
  const { t } = useI18n();
  const id = useId();
  const [days, setDays] = useState("7");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const abort = props.lifecycle.abortIncompleteMultipartAfterDays;

  const add = async () => {
    setBusy(true);
    setFailure(null);
    try {
      await admin.addAbortRule(props.bucket, Number(days));
      props.onChanged();
    } catch (thrown) {
      setFailure(BackendError.from(thrown).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" data-testid="lifecycle-card" aria-labelledby={id}>
      <h2 id={id}>{t("buckets.lifecycle.title")}</h2>
      {abort !== null ? (
        <p className="verified-ok" data-testid="lifecycle-abort">{t("buckets.lifecycle.hasAbort", { days: abort })}</p>
      ) : (
        <>
          <p className="warning" data-testid="lifecycle-abort">{t("buckets.lifecycle.noAbort")}</p>
          <div className="actions-row">
            <label className="field compact">
              <span>{t("buckets.lifecycle.days")}</span>
              <input type="number" min={1} data-testid="lifecycle-days" value={days} onChange={(e) => setDays(e.target.value)} />
            </label>
            <button type="button" className="button-primary" data-testid="lifecycle-add" disabled={busy} onClick={() => void add()}>
              {t("buckets.lifecycle.add")}
            </button>
          </div>
          <p className="muted">{t("buckets.lifecycle.kept")}</p>
        </>
      )}
      {failure && (
        <p className="field-problem" role="alert">
          {failure}
        </p>
      )}
      {props.lifecycle.rules.length > 0 && (
        <table className="table" data-testid="lifecycle-rules">
          <thead>
            <tr>
              <th scope="col">{t("buckets.lifecycle.col.id")}</th>
              <th scope="col">{t("buckets.lifecycle.col.scope")}</th>
              <th scope="col">{t("buckets.lifecycle.col.does")}</th>
            </tr>
          </thead>
          <tbody>
            {props.lifecycle.rules.map((r, i) => (
              <tr key={`${r.id ?? ""}-${i}`}>
                <td>
                  <code>{r.id ?? "—"}</code>
                </td>
                <td>{r.prefix === null ? t("buckets.lifecycle.filtered") : r.prefix === "" ? t("buckets.lifecycle.wholeBucket") : <code>{r.prefix}</code>}</td>
                <td>{ruleDoes(r, t)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ruleDoes(r: RuleSummary, t: ReturnType<typeof useI18n>["t"]): string {
  const parts: string[] = [];
  if (r.abortIncompleteMultipartAfterDays !== null) parts.push(t("buckets.lifecycle.does.abort", { days: r.abortIncompleteMultipartAfterDays }));
  if (r.expirationDays !== null) parts.push(t("buckets.lifecycle.does.expire", { days: r.expirationDays }));
  if (r.noncurrentExpirationDays !== null) parts.push(t("buckets.lifecycle.does.noncurrent", { days: r.noncurrentExpirationDays }));
  if (r.transitions > 0) parts.push(t("buckets.lifecycle.does.transitions", { count: r.transitions }));
  const text = parts.join(", ") || "—";
  return r.enabled ? text : `${text} ${t("buckets.lifecycle.disabled")}`;
}
