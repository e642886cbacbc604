// Sources (home): the configured sources as the core lists them, the Add Source wizard, and
// per source: browse, verify again, remove (asks first; the keychain entry goes too).

import { useCallback, useEffect, useId, useState } from "react";
import {
  BackendError,
  type Backend,
  type OldKeyFate,
  type RetireChoice,
  type SandboxState,
  type SourceStatus,
  type SourceSummary,
  type VerifyReport,
} from "../backend/backend";
import { HandoffPanel } from "../sources/HandoffPanel";
import { Browser } from "../sources/Browser";
import { EditSource } from "../sources/EditSource";
import { ReportView, Wizard, type WizardStart } from "../sources/Wizard";
import { useI18n } from "../i18n/context";
import { relativeAge } from "../sources/rules";
import { useReportError } from "../app/toasts";
import { RowMenu } from "../app/RowMenu";

type Listing = { state: "loading" } | { state: "loaded"; sources: SourceSummary[] } | { state: "failed" };

export function SourcesPage({ backend, sandbox }: { backend: Backend; sandbox: SandboxState }) {
  const { t, language } = useI18n();
  const report = useReportError();
  const id = useId();
  const [listing, setListing] = useState<Listing>({ state: "loading" });
  /** The wizard, open with what it starts from (nothing, or the sandbox's bucket). */
  const [adding, setAdding] = useState<WizardStart | null>(null);
  const [browsing, setBrowsing] = useState<SourceSummary | null>(null);
  const [removing, setRemoving] = useState<SourceSummary | null>(null);
  const [shown, setShown] = useState<{ name: string; report: VerifyReport } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [editing, setEditing] = useState<SourceSummary | null>(null);
  const [rotation, setRotation] = useState<{ name: string; message: string; twoKeys: boolean } | null>(null);
  const [statuses, setStatuses] = useState<Record<string, SourceStatus>>({});
  /** The hand-off panel shown (after a save, from the menu, or in phase 1 of a rotation). */
  const [handoff, setHandoff] = useState<string | null>(null);
  /** The source whose rotation is being confirmed. */
  const [confirmRotate, setConfirmRotate] = useState<SourceSummary | null>(null);
  const [fate, setFate] = useState<OldKeyFate["kind"]>("keepInactive");
  const [usedAfter, setUsedAfter] = useState<string | null>(null);

  const load = useCallback(async (isCurrent: () => boolean) => {
    setListing({ state: "loading" });
    try {
      const [sources, status] = await Promise.all([backend.listSources(), backend.sourceStatuses()]);
      if (!isCurrent()) return;
      setStatuses(Object.fromEntries(status.map((s) => [s.name, s])));
      setListing({ state: "loaded", sources });
    } catch (thrown) {
      if (!isCurrent()) return;
      setListing({ state: "failed" });
      report(thrown);
    }
  }, [backend, report]);

  useEffect(() => {
    let current = true;
    void load(() => current);
    return () => {
      current = false;
    };
  }, [load]);

  const verify = async (source: SourceSummary) => {
    setBusy(source.name);
    try {
      setShown({ name: source.name, report: await backend.verifySavedSource(source.name) });
      await load(() => true);
    } catch (thrown) {
      report(thrown);
    } finally {
      setBusy(null);
    }
  };

  /** Phase 1: asked first; the hand-off panel then shows the new key for Weekerp. */
  const rotate = async (source: SourceSummary, retire: RetireChoice) => {
    setConfirmRotate(null);
    setBusy(source.name);
    setRotation(null);
    try {
      await backend.beginRotation(source.name, retire);
      setHandoff(source.name);
      await load(() => true);
    } catch (thrown) {
      const error = BackendError.from(thrown);
      setRotation({ name: source.name, message: error.message, twoKeys: error.code === "key_limit" });
    } finally {
      setBusy(null);
    }
  };

  const fateOf = (kind: OldKeyFate["kind"]): OldKeyFate =>
    kind === "deleteAfter" ? { kind: "deleteAfter", hours: 24 * 7 } : ({ kind } as OldKeyFate);

  const finish = async (name: string, confirmedUsed: boolean) => {
    setBusy(name);
    setUsedAfter(null);
    try {
      const done = await backend.finishRotation(name, fateOf(fate), confirmedUsed);
      // The panel was opened for phase 1; the admin reopens it from the menu if needed.
      setHandoff(null);
      setRotation({ name, twoKeys: false, message: t("rotate.finished", { name, state: done.oldKeyState }) });
      await load(() => true);
    } catch (thrown) {
      const error = BackendError.from(thrown);
      if (error.code === "old_key_still_used") setUsedAfter(name);
      setRotation({ name, twoKeys: false, message: error.message });
    } finally {
      setBusy(null);
    }
  };

  const cancelRotation = async (name: string) => {
    setBusy(name);
    try {
      const done = await backend.cancelRotation(name);
      // The panel showed the new key, which is deleted now.
      setHandoff(null);
      setRotation({ name, twoKeys: false, message: t("rotate.cancelled", { name, key: done.oldKeyMasked }) });
      await load(() => true);
    } catch (thrown) {
      setRotation({ name, twoKeys: false, message: BackendError.from(thrown).message });
    } finally {
      setBusy(null);
    }
  };

  const remove = async (source: SourceSummary) => {
    setRemoving(null);
    try {
      await backend.removeSource(source.name);
      await load(() => true);
    } catch (thrown) {
      report(BackendError.from(thrown));
    }
  };

  if (browsing) {
    return <Browser backend={backend} source={browsing} onClose={() => setBrowsing(null)} />;
  }

  return (
    <section className="page" data-testid="page-sources" aria-labelledby={id}>
      <h1 id={id}>{t("sources.title")}</h1>
      {adding ? (
        <Wizard
          backend={backend}
          initial={adding}
          onClose={(saved) => {
            setAdding(null);
            if (saved) void load(() => true);
          }}
        />
      ) : listing.state === "loaded" && listing.sources.length === 0 ? (
        <div className="card empty-state" data-testid="sources-empty">
          <p>{t("sources.emptyExplain")}</p>
          <p className="actions-row">
            <button type="button" className="button-primary" data-testid="sources-add" onClick={() => setAdding({})}>
              {t("sources.add")}
            </button>
            {sandbox.state === "ready" && (
              <button
                type="button"
                className="button-quiet"
                data-testid="sources-add-sandbox"
                onClick={() => setAdding({ reader: true, bucket: sandbox.bucket })}
              >
                {t("sources.addSandbox", { bucket: sandbox.bucket })}
              </button>
            )}
          </p>
        </div>
      ) : (
        <p>
          <button type="button" className="button-primary" data-testid="sources-add" onClick={() => setAdding({})}>
            {t("sources.add")}
          </button>
        </p>
      )}
      {editing && (
        <EditSource
          backend={backend}
          source={editing}
          onClose={(saved) => {
            setEditing(null);
            if (saved) void load(() => true);
          }}
        />
      )}
      {rotation && (
        <div className="card" role="status" data-testid="source-rotated">
          <p>{rotation.message}</p>
          {rotation.twoKeys && (
            <button
              type="button"
              className="button-primary"
              data-testid="rotate-retire"
              onClick={() => {
                const source = listing.state === "loaded" ? listing.sources.find((s) => s.name === rotation.name) : undefined;
                if (source) void rotate(source, { kind: "inactive" });
              }}
            >
              {t("rotate.retireInactive")}
            </button>
          )}{" "}
          <button type="button" className="button-quiet" onClick={() => setRotation(null)}>
            {t("common.close")}
          </button>
        </div>
      )}
      {confirmRotate && (
        <div className="card confirm" role="alertdialog" aria-labelledby="rotate-confirm-title" data-testid="rotate-confirm">
          <h2 id="rotate-confirm-title">{t("rotate.confirmTitle", { name: confirmRotate.name })}</h2>
          <p>{t("rotate.confirmText", { name: confirmRotate.name })}</p>
          <button type="button" className="button-quiet" data-testid="rotate-confirm-cancel" onClick={() => setConfirmRotate(null)}>
            {t("common.cancel")}
          </button>{" "}
          <button type="button" className="button-primary" data-testid="rotate-confirm-ok" onClick={() => void rotate(confirmRotate, { kind: "nothing" })}>
            {t("rotate.start")}
          </button>
        </div>
      )}
      {Object.values(statuses)
        .filter((s) => s.rotation && s.rotation.source === s.name)
        .map((s) => {
          const r = s.rotation!;
          return (
            <div key={s.name} className="card rotation" role="status" data-testid="rotation-in-progress" data-name={s.name}>
              <p>
                {t("rotate.inProgress", {
                  name: s.name,
                  old: r.oldKeyMasked,
                  new: r.newKeyMasked ?? "—",
                  used: r.oldKeyLastUsed ? relativeAge(r.oldKeyLastUsed, language) : t("rotate.never"),
                  read: r.lastUsedReadAt ? relativeAge(r.lastUsedReadAt, language) : "—",
                })}
              </p>
              <p className="actions-row">
                <label className="choice">
                  {t("rotate.fate")}{" "}
                  <select data-testid="rotate-fate" value={fate} onChange={(e) => setFate(e.target.value as OldKeyFate["kind"])}>
                    <option value="keepInactive">{t("rotate.fate.keep")}</option>
                    <option value="deleteNow">{t("rotate.fate.delete")}</option>
                    <option value="deleteAfter">{t("rotate.fate.grace")}</option>
                  </select>
                </label>
                <button type="button" className="button-primary" data-testid="rotate-finish" disabled={busy === s.name} onClick={() => void finish(s.name, false)}>
                  {t("rotate.finish")}
                </button>
                {usedAfter === s.name && (
                  <button type="button" className="button-quiet danger" data-testid="rotate-finish-anyway" onClick={() => void finish(s.name, true)}>
                    {t("rotate.finishAnyway")}
                  </button>
                )}
                <button type="button" className="button-quiet" data-testid="rotate-cancel" disabled={busy === s.name} onClick={() => void cancelRotation(s.name)}>
                  {t("rotate.cancel")}
                </button>
                <button type="button" className="button-quiet" data-testid="rotate-handoff" onClick={() => setHandoff(s.name)}>
                  {t("sources.register")}
                </button>
              </p>
            </div>
          );
        })}
      {handoff && (
        <HandoffPanel
          key={handoff}
          backend={backend}
          source={handoff}
          onClose={() => {
            setHandoff(null);
            void load(() => true);
          }}
        />
      )}
      {removing && (
        <div className="card confirm" role="alertdialog" data-testid="confirm">
          <p>{t("sources.removeConfirm", { name: removing.name })}</p>
          <button type="button" className="button-quiet" data-testid="confirm-cancel" onClick={() => setRemoving(null)}>
            {t("common.cancel")}
          </button>{" "}
          <button type="button" className="button-primary" data-testid="confirm-ok" onClick={() => void remove(removing)}>
            {t("sources.remove")}
          </button>
        </div>
      )}
      {shown && (
        <div className="card" data-testid="source-report">
          <h2>{t("sources.report", { name: shown.name })}</h2>
          <ReportView report={shown.report} />
          <button type="button" className="button-quiet" onClick={() => setShown(null)}>
            {t("common.close")}
          </button>
        </div>
      )}
      {listing.state === "loading" && <p className="muted">{t("sources.loading")}</p>}
      {listing.state === "failed" && (
        <p className="muted">
          {t("sources.loadFailed")}{" "}
          <button type="button" className="button-quiet" onClick={() => void load(() => true)}>
            {t("sources.retry")}
          </button>
        </p>
      )}
      {listing.state === "loaded" && (
        <SourceTable
          sources={listing.sources}
          busy={busy}
          onBrowse={setBrowsing}
          onVerify={(s) => void verify(s)}
          onRemove={setRemoving}
          onEdit={setEditing}
          onRotate={(s) => setConfirmRotate(s)}
          onRegister={(s) => setHandoff(s.name)}
          statuses={statuses}
        />
      )}
    </section>
  );
}

interface TableProps {
  sources: SourceSummary[];
  busy: string | null;
  onBrowse: (s: SourceSummary) => void;
  onVerify: (s: SourceSummary) => void;
  onRemove: (s: SourceSummary) => void;
  onEdit: (s: SourceSummary) => void;
  onRotate: (s: SourceSummary) => void;
  onRegister: (s: SourceSummary) => void;
  statuses: Record<string, SourceStatus>;
}

/** The exact local time, for a tooltip beside a relative age. */
function exact(iso: string, language: string): string | undefined {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date.toLocaleString(language, { dateStyle: "medium", timeStyle: "short" });
}

function SourceTable({ sources, busy, onBrowse, onVerify, onRemove, onEdit, onRotate, onRegister, statuses }: TableProps) {
  const { t, language } = useI18n();
  if (sources.length === 0) return null;
  return (
    <table className="table" data-testid="sources-table">
      <thead>
        <tr>
          <th scope="col">{t("sources.column.name")}</th>
          <th scope="col">{t("sources.column.bucket")}</th>
          <th scope="col">{t("sources.column.region")}</th>
          <th scope="col">{t("sources.column.basePath")}</th>
          <th scope="col">{t("sources.column.keyId")}</th>
          <th scope="col">{t("sources.column.added")}</th>
          <th scope="col">{t("sources.column.verified")}</th>
          <th scope="col">{t("sources.column.actions")}</th>
        </tr>
      </thead>
      <tbody>
        {sources.map((source) => (
          <tr key={source.name} data-testid="source-row" data-name={source.name}>
            <td>
              <span className="strong">{source.name}</span>
              {statuses[source.name]?.rotation ? (
                <div className="badge warn" data-testid="source-badge-rotation">{t("sources.rotationBadge")}</div>
              ) : (
                statuses[source.name] && !statuses[source.name]!.inWeekerp && (
                  <div className="badge warn" data-testid="source-badge-weekerp">{t("sources.notInWeekerp")}</div>
                )
              )}
            </td>
            <td>{source.bucket}</td>
            <td className="nowrap">{source.region}</td>
            <td>
              <code>{source.basePath}</code>
            </td>
            <td className="nowrap">
              <code>{source.keyIdMasked}</code>
            </td>
            <td className="nowrap" title={exact(source.addedAt, language)}>{relativeAge(source.addedAt, language)}</td>
            <td
              data-testid="source-verified"
              data-ok={source.lastVerified ? String(source.lastVerified.ok) : undefined}
              className={`nowrap ${source.lastVerified ? (source.lastVerified.ok ? "verified-ok" : "verified-failed") : "muted"}`}
              title={source.lastVerified ? exact(source.lastVerified.at, language) : undefined}
            >
              {source.lastVerified
                ? `${source.lastVerified.ok ? "✓" : "✗"} ${relativeAge(source.lastVerified.at, language)}`
                : t("sources.never")}
            </td>
            <td className="actions">
              <button type="button" className="button-quiet" data-testid="source-browse" onClick={() => onBrowse(source)}>
                {t("sources.browse")}
              </button>
              <RowMenu label={t("sources.more", { name: source.name })} testId="source-menu">
                {(close) => (
                  <>
                    <button type="button" role="menuitem" className="button-quiet" data-testid="source-register" onClick={() => { close(); onRegister(source); }}>
                      {t("sources.register")}
                    </button>
                    <button type="button" role="menuitem" className="button-quiet" data-testid="source-verify" disabled={busy === source.name} onClick={() => { close(); onVerify(source); }}>
                      {t("sources.verify")}
                    </button>
                    <button type="button" role="menuitem" className="button-quiet" data-testid="source-rotate" disabled={busy === source.name} onClick={() => { close(); onRotate(source); }}>
                      {busy === source.name ? t("sources.rotating") : t("sources.rotate")}
                    </button>
                    <button type="button" role="menuitem" className="button-quiet" data-testid="source-edit" onClick={() => { close(); onEdit(source); }}>
                      {t("sources.edit")}
                    </button>
                    <button type="button" role="menuitem" className="button-quiet danger" data-testid="source-remove" onClick={() => { close(); onRemove(source); }}>
                      {t("sources.remove")}
                    </button>
                  </>
                )}
              </RowMenu>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
