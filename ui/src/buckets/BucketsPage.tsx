// The Buckets screen (doc/BUCKETS.md): every bucket of the admin's account with its region,
// creation date, badges (Block Public Access, public by policy, versioning, unfinished
// uploads) and the sources using it; Create; and one bucket opened to see and change its
// settings (BucketView).

import { useCallback, useEffect, useId, useState } from "react";
import { BackendError, type Backend } from "../backend/backend";
import { useI18n } from "../i18n/context";
import type { BucketSummary, CreateRequest } from "./bucketAdmin";
import { BucketView } from "./BucketView";
import { Dialog, useDebounced } from "./parts";

export function BucketsPage({ backend }: { backend: Backend }) {
  const admin = backend.bucketAdmin;
  const { t } = useI18n();
  const id = useId();
  const [buckets, setBuckets] = useState<BucketSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [opened, setOpened] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const { language } = useI18n();
  // A notice was written in the language of its moment: gone when the language changes.
  useEffect(() => setNotice(null), [language]);

  const load = useCallback(async () => {
    try {
      setBuckets(await admin.list());
      setError(null);
    } catch (thrown) {
      setError(BackendError.from(thrown).message);
    }
  }, [admin]);
  useEffect(() => {
    void load();
  }, [load]);

  if (opened !== null) {
    return (
      <BucketView
        backend={backend}
        bucket={opened}
        onBack={(message) => {
          // The list from before may name a bucket just deleted: load it again first.
          setBuckets(null);
          setOpened(null);
          setNotice(message ?? null);
          void load();
        }}
      />
    );
  }

  return (
    <section className="page bk-page" data-testid="page-buckets" aria-labelledby={id}>
      <div className="bk-title-row">
        <h1 id={id}>{t("buckets.title")}</h1>
        <div className="actions-row">
          <button type="button" className="button-quiet" data-testid="buckets-refresh" onClick={() => void load()}>
            {t("buckets.refresh")}
          </button>
          <button type="button" className="button-primary" data-testid="buckets-create" onClick={() => setCreating(true)}>
            {t("buckets.create")}
          </button>
        </div>
      </div>
      {notice && (
        <div className="notice" role="status" data-testid="buckets-notice">
          <p>{notice}</p>
          <button type="button" className="button-quiet" onClick={() => setNotice(null)}>
            {t("common.dismiss")}
          </button>
        </div>
      )}
      {error && (
        <p className="field-problem" role="alert" data-testid="buckets-error">
          {error}
        </p>
      )}
      {buckets === null && !error && <p className="muted">{t("buckets.loading")}</p>}
      {buckets !== null && buckets.length === 0 && <p className="muted" data-testid="buckets-none">{t("buckets.none")}</p>}
      {buckets !== null && buckets.length > 0 && <BucketTable buckets={buckets} onOpen={setOpened} />}
      {creating && (
        <CreateDialog
          backend={backend}
          owned={buckets?.map((b) => b.name) ?? []}
          onClose={() => setCreating(false)}
          onOpen={(name) => {
            setCreating(false);
            setOpened(name);
          }}
          onCreated={(message) => {
            setCreating(false);
            setNotice(message);
            void load();
          }}
        />
      )}
    </section>
  );
}

function BucketTable({ buckets, onOpen }: { buckets: BucketSummary[]; onOpen: (name: string) => void }) {
  const { t, language } = useI18n();
  return (
    <table className="table bk-table" data-testid="buckets-table">
      <thead>
        <tr>
          <th scope="col">{t("buckets.col.name")}</th>
          <th scope="col">{t("buckets.col.region")}</th>
          <th scope="col">{t("buckets.col.created")}</th>
          <th scope="col">{t("buckets.col.protection")}</th>
          <th scope="col">{t("buckets.col.sources")}</th>
        </tr>
      </thead>
      <tbody>
        {buckets.map((b) => (
          <tr key={b.name} data-testid="bucket-row" data-name={b.name}>
            <td>
              <button type="button" className="bk-link" data-testid="bucket-open" aria-label={t("buckets.open", { bucket: b.name })} onClick={() => onOpen(b.name)}>
                {b.name}
              </button>
            </td>
            <td className="nowrap">{b.region ?? "—"}</td>
            <td className="nowrap">{b.created ? new Date(b.created).toLocaleDateString(language) : "—"}</td>
            <td>
              <Badges bucket={b} />
            </td>
            <td>{b.sources.length ? b.sources.join(", ") : <span className="muted">{t("buckets.noSources")}</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The list's badges; a badge that could not be read says so with the actions it needed. */
export function Badges({ bucket }: { bucket: BucketSummary }) {
  const { t } = useI18n();
  const access = bucket.publicAccess;
  const on = access ? Object.values(access).filter(Boolean).length : 0;
  return (
    <span className="bk-badges" data-testid="bucket-badges">
      {access &&
        (on === 4 ? (
          <span className="badge ok" data-testid="badge-bpa">{t("buckets.badge.blocked")}</span>
        ) : (
          <span className="badge warn" data-testid="badge-bpa">{on === 0 ? t("buckets.badge.open") : t("buckets.badge.partly")}</span>
        ))}
      {bucket.publicByPolicy && <span className="badge warn" data-testid="badge-public">{t("buckets.badge.publicPolicy")}</span>}
      {bucket.versioning === "enabled" && <span className="badge" data-testid="badge-versioning">{t("buckets.badge.versioning")}</span>}
      {bucket.versioning === "suspended" && <span className="badge" data-testid="badge-versioning">{t("buckets.badge.suspended")}</span>}
      {bucket.hasUnfinishedUploads && <span className="badge warn" data-testid="badge-uploads">{t("buckets.badge.uploads")}</span>}
      {bucket.unreadable.length > 0 && (
        <span className="badge" data-testid="badge-unreadable" title={t("buckets.unreadableHint", { actions: bucket.unreadable.join(", ") })}>
          {t("buckets.badge.unreadable", { count: bucket.unreadable.length })}
        </span>
      )}
    </span>
  );
}

function CreateDialog(props: {
  backend: Backend;
  owned: string[];
  onClose: () => void;
  onOpen: (name: string) => void;
  onCreated: (message: string) => void;
}) {
  const admin = props.backend.bucketAdmin;
  const { t } = useI18n();
  const [regions, setRegions] = useState<string[]>([]);
  const [name, setName] = useState("");
  const [region, setRegion] = useState("");
  const [block, setBlock] = useState(true);
  const [abort, setAbort] = useState(true);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const days = 7;

  useEffect(() => {
    void admin.regions().then((r) => {
      setRegions(r);
      setRegion((current) => current || r[0] || "");
    });
  }, [admin]);

  const request: CreateRequest | null =
    name.trim() === "" || region === ""
      ? null
      : { name: name.trim(), region, blockPublicAccess: block, abortMultipartAfterDays: abort ? days : null };
  const check = useDebounced(request, (r) => admin.validate(r).then(() => true));

  const create = async () => {
    if (!request) return;
    setBusy(true);
    setFailure(null);
    try {
      const created = await admin.create(request);
      props.onCreated(t("buckets.create.done", { bucket: created.name, region: created.region }));
    } catch (thrown) {
      setFailure(BackendError.from(thrown).message);
    } finally {
      setBusy(false);
    }
  };

  const ownName = request !== null && props.owned.includes(request.name);
  return (
    <Dialog title={t("buckets.create.title")} testId="create-bucket" onClose={busy ? null : props.onClose}>
      <label className="field">
        <span>{t("buckets.create.name")}</span>
        <input
          data-testid="create-name"
          value={name}
          autoComplete="off"
          spellCheck={false}
          aria-invalid={check.error ? true : undefined}
          aria-describedby="create-name-check"
          onChange={(e) => setName(e.target.value)}
        />
      </label>
      <p id="create-name-check" className={check.error ? "field-problem" : "muted"} data-testid="create-name-check" aria-live="polite">
        {check.error ?? (check.answer && !check.pending ? t("buckets.create.nameOk") : t("buckets.create.nameHint"))}
      </p>
      <label className="field">
        <span>{t("buckets.create.region")}</span>
        <select data-testid="create-region" value={region} onChange={(e) => setRegion(e.target.value)}>
          {regions.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <label className="choice">
        <input type="checkbox" data-testid="create-bpa" checked={block} onChange={(e) => setBlock(e.target.checked)} />
        <span>{t("buckets.create.bpa")}</span>
      </label>
      <label className="choice">
        <input type="checkbox" data-testid="create-abort" checked={abort} onChange={(e) => setAbort(e.target.checked)} />
        <span>{t("buckets.create.abort", { days })}</span>
      </label>
      {failure && (
        <div className="field-problem" role="alert" data-testid="create-failure">
          <p>{failure}</p>
          {ownName && (
            <button type="button" className="button-quiet" data-testid="create-open-existing" onClick={() => props.onOpen(request.name)}>
              {t("buckets.create.openExisting", { bucket: request.name })}
            </button>
          )}
        </div>
      )}
      <div className="form-actions">
        <button type="button" className="button-quiet" disabled={busy} onClick={props.onClose}>
          {t("common.cancel")}
        </button>
        <button
          type="button"
          className="button-primary"
          data-testid="create-run"
          disabled={busy || request === null || check.pending || check.error !== null}
          onClick={() => void create()}
        >
          {busy ? t("buckets.working") : t("buckets.create.run")}
        </button>
      </div>
    </Dialog>
  );
}
