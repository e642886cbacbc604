// The bucket policy: the current one pretty-printed (as the core gives it), templates added
// by the core (public read of BUCKET/* or of one prefix, deny non-TLS), the core's review
// while typing (lint findings, a prominent warning for Principal "*", the Block Public Access
// setting that would refuse it, with the offer to change that setting), save and delete
// (each confirmed), and after saving the "is it public?" check.

import { useEffect, useId, useState } from "react";
import { BackendError, type Backend } from "../backend/backend";
import { useI18n } from "../i18n/context";
import type { PolicyTemplate, PublicAccess, PublicCheck, SavedPolicy, Setting } from "./bucketAdmin";
import { Dialog, useDebounced } from "./parts";

const SETTING_NAMES: Record<Setting, string> = {
  blockPublicAcls: "BlockPublicAcls",
  ignorePublicAcls: "IgnorePublicAcls",
  blockPublicPolicy: "BlockPublicPolicy",
  restrictPublicBuckets: "RestrictPublicBuckets",
};

type Confirm = "save" | "delete" | null;

export function PolicyCard(props: {
  backend: Backend;
  bucket: string;
  current: string | null;
  access: PublicAccess | null;
  onSaved: () => void;
  onOfferTurnOff: (setting: Setting) => void;
}) {
  const admin = props.backend.bucketAdmin;
  const { t } = useI18n();
  const id = useId();
  const [draft, setDraft] = useState(props.current ?? "");
  const [prefix, setPrefix] = useState("");
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState<Confirm>(null);
  const [saved, setSaved] = useState<SavedPolicy | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { current, access, bucket } = props;

  useEffect(() => setDraft(current ?? ""), [current]);

  const reviewing = useDebounced(
    draft.trim() === "" || access === null ? null : { bucket, draft, access },
    (q) => admin.reviewPolicy(q.bucket, q.draft, q.access),
  );
  const review = reviewing.answer;
  const blockedBy = review?.blockedBy ?? null;

  const addTemplate = async (template: PolicyTemplate) => {
    setFailure(null);
    try {
      const p = template === "public-read-prefix" ? prefix.trim() : null;
      setDraft(await admin.applyTemplate(bucket, draft.trim() === "" ? null : draft, template, p));
    } catch (thrown) {
      setFailure(BackendError.from(thrown).message);
    }
  };

  const run = async (work: () => Promise<void>) => {
    setConfirm(null);
    setBusy(true);
    setFailure(null);
    setNotice(null);
    try {
      await work();
      props.onSaved();
    } catch (thrown) {
      setFailure(BackendError.from(thrown).message);
    } finally {
      setBusy(false);
    }
  };
  const save = () =>
    run(async () => {
      setSaved(await admin.savePolicy(bucket, draft));
      setNotice(t("buckets.policy.saved"));
    });
  const remove = () =>
    run(async () => {
      await admin.deletePolicy(bucket);
      setSaved(null);
      setNotice(t("buckets.policy.deleted"));
    });

  const canSave = !busy && draft.trim() !== "" && review !== null && !reviewing.pending && blockedBy === null && draft !== current;
  return (
    <section className="card" data-testid="policy-card" aria-labelledby={id}>
      <h2 id={id}>{t("buckets.policy.title")}</h2>
      {current === null && <p className="muted" data-testid="policy-none">{t("buckets.policy.none")}</p>}
      <div className="bk-templates" role="group" aria-label={t("buckets.policy.templates")}>
        <span className="muted">{t("buckets.policy.templates")}</span>
        <button type="button" className="button-quiet" data-testid="policy-tpl-public-read" onClick={() => void addTemplate("public-read")}>
          {t("buckets.policy.tpl.publicRead")}
        </button>
        <button type="button" className="button-quiet" data-testid="policy-tpl-deny-tls" onClick={() => void addTemplate("deny-insecure-transport")}>
          {t("buckets.policy.tpl.denyTls")}
        </button>
        <span className="bk-prefix">
          <label className="field compact">
            <span>{t("buckets.policy.prefix")}</span>
            <input data-testid="policy-prefix" value={prefix} placeholder="photos" onChange={(e) => setPrefix(e.target.value)} />
          </label>
          <button type="button" className="button-quiet" data-testid="policy-tpl-prefix" disabled={prefix.trim() === ""} onClick={() => void addTemplate("public-read-prefix")}>
            {t("buckets.policy.tpl.publicReadPrefix")}
          </button>
        </span>
      </div>
      <label className="field">
        <span>{t("buckets.policy.editor")}</span>
        <textarea
          className="bk-editor"
          data-testid="policy-editor"
          rows={Math.min(24, Math.max(8, draft.split("\n").length + 1))}
          spellCheck={false}
          value={draft}
          onChange={(e) => {
            setSaved(null);
            setDraft(e.target.value);
          }}
        />
      </label>
      <div aria-live="polite" data-testid="policy-review">
        {reviewing.pending && <p className="muted">{t("buckets.policy.checking")}</p>}
        {reviewing.error && !reviewing.pending && (
          <p className="field-problem" data-testid="policy-invalid">
            {reviewing.error}
          </p>
        )}
        {review && !reviewing.pending && (
          <>
            {review.review.anyone.map((a) => (
              <div key={a.index} className={a.public ? "bk-alarm" : "warning"} role="alert" data-testid="policy-anyone">
                <p className="strong">
                  {t("buckets.policy.anyone", { actions: a.actions.join(", ") || "—", resources: a.resources.join(", ") || "—" })}
                </p>
                {!a.public && <p>{t("buckets.policy.anyoneNarrowed")}</p>}
              </div>
            ))}
            {blockedBy && (
              <div className="warning" data-testid="policy-blocked">
                <p>{t("buckets.policy.blocked", { setting: SETTING_NAMES[blockedBy] })}</p>
                <button type="button" className="button-quiet" data-testid="policy-offer-turn-off" onClick={() => props.onOfferTurnOff(blockedBy)}>
                  {t("buckets.policy.offerTurnOff", { setting: SETTING_NAMES[blockedBy] })}
                </button>
              </div>
            )}
            {review.withoutEffectBecause && !blockedBy && (
              <p className="warning" data-testid="policy-without-effect">
                {t("buckets.policy.withoutEffect", { setting: SETTING_NAMES[review.withoutEffectBecause] })}
              </p>
            )}
            {review.review.findings.length === 0 ? (
              <p className="muted" data-testid="policy-lint-clean">{t("buckets.policy.clean")}</p>
            ) : (
              <ul className="bk-findings" data-testid="policy-findings">
                {review.review.findings.map((f, i) => (
                  <li key={i}>
                    <code>{f.issue}</code> {f.detail}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </div>
      {failure && (
        <p className="field-problem" role="alert" data-testid="policy-failure">
          {failure}
        </p>
      )}
      {notice && (
        <p className="verified-ok" role="status" data-testid="policy-notice">
          {notice}
        </p>
      )}
      {saved && <PublicCheckView check={saved.check} />}
      <div className="form-actions">
        {current !== null && (
          <button type="button" className="button-quiet danger" data-testid="policy-delete" disabled={busy} onClick={() => setConfirm("delete")}>
            {t("buckets.policy.delete")}
          </button>
        )}
        <button type="button" className="button-primary" data-testid="policy-save" disabled={!canSave} onClick={() => setConfirm("save")}>
          {busy ? t("buckets.working") : t("buckets.policy.save")}
        </button>
      </div>
      {confirm && (
        <Dialog title={t(confirm === "save" ? "buckets.policy.save" : "buckets.policy.delete")} testId="policy-confirm" onClose={() => setConfirm(null)}>
          <p>
            {confirm === "delete"
              ? t("buckets.policy.confirmDelete", { bucket })
              : review?.review.public
                ? t("buckets.policy.confirmPublic", { bucket })
                : t("buckets.policy.confirmSave", { bucket })}
          </p>
          <div className="form-actions">
            <button type="button" className="button-quiet" onClick={() => setConfirm(null)}>
              {t("common.cancel")}
            </button>
            <button type="button" className="button-primary" data-testid="policy-confirm-ok" onClick={() => void (confirm === "save" ? save() : remove())}>
              {t(confirm === "save" ? "buckets.policy.save" : "buckets.policy.delete")}
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

function PublicCheckView({ check }: { check: PublicCheck }) {
  const { t } = useI18n();
  const get = check.unsignedGet;
  const status =
    check.policyStatusPublic === null
      ? t("buckets.policy.status.unknown")
      : check.policyStatusPublic
        ? t("buckets.policy.status.public")
        : t("buckets.policy.status.notPublic");
  const unsigned =
    get.outcome === "readable"
      ? t("buckets.policy.get.readable", { key: get.key })
      : get.outcome === "denied"
        ? t("buckets.policy.get.denied", { key: get.key })
        : get.outcome === "noObject"
          ? t("buckets.policy.get.noObject")
          : t("buckets.policy.get.unknown", { detail: get.detail });
  const open = check.policyStatusPublic === true || get.outcome === "readable";
  return (
    <div className={open ? "bk-alarm" : "card"} data-testid="policy-public-check">
      <p className="strong">{t("buckets.policy.publicCheck")}</p>
      <p data-testid="policy-status">{status}</p>
      <p data-testid="policy-unsigned-get">{unsigned}</p>
    </div>
  );
}
