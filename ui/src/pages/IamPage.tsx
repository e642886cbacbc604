// IAM, in tabs: users (tags, groups, policies, keys; create with a policy, delete cleanly after
// a confirmation; create an access key whose secret is shown once, optionally for a source),
// keys (every user's keys with status, age, last use and the sources using them; activate,
// deactivate, delete), groups (create with a managed policy, add and remove members) and
// policies (the generator: template → JSON preview with lint findings). Who the admin is sits
// above them.

import { useCallback, useEffect, useId, useState } from "react";
import {
  BackendError,
  type Backend,
  type GeneratedPolicy,
  type GroupInfo,
  type NewAccessKey,
  type PolicyAttachment,
  type Template,
  type UserInfo,
} from "../backend/backend";
import { useI18n } from "../i18n/context";
import { relativeAge } from "../sources/rules";
import { useReportError } from "../app/toasts";

const READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

const TABS = ["users", "keys", "groups", "policies"] as const;
type Tab = (typeof TABS)[number];

export function IamPage({ backend }: { backend: Backend }) {
  const { t, language } = useI18n();
  const report = useReportError();
  const id = useId();
  const [identity, setIdentity] = useState<string | null>(null);
  const [users, setUsers] = useState<UserInfo[] | null>(null);
  const [groups, setGroups] = useState<GroupInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>("users");

  const [template, setTemplate] = useState<Template>("cdn-reader");
  const [bucket, setBucket] = useState("");
  const [basePath, setBasePath] = useState("/");
  const [generated, setGenerated] = useState<GeneratedPolicy | null>(null);

  const [newUser, setNewUser] = useState("");
  const [newUserPolicy, setNewUserPolicy] = useState<"none" | "readonly" | "generated">("generated");
  const [newGroup, setNewGroup] = useState("");
  const [memberUser, setMemberUser] = useState("");
  const [memberGroup, setMemberGroup] = useState("");
  const [sourceNames, setSourceNames] = useState<string[]>([]);
  const [keyFor, setKeyFor] = useState<string | null>(null);
  const [bindSource, setBindSource] = useState("");
  const [created, setCreated] = useState<NewAccessKey | null>(null);

  const load = useCallback(async () => {
    try {
      const [u, g, s] = await Promise.all([backend.listIamUsers(), backend.listIamGroups(), backend.listSources()]);
      setUsers(u);
      setGroups(g);
      setSourceNames(s.map((x) => x.name));
      setError(null);
    } catch (thrown) {
      setError(BackendError.from(thrown).message);
    }
  }, [backend]);

  useEffect(() => {
    void load();
    backend.adminIdentity().then(
      (a) => setIdentity(`${a.identity.arn} (${a.identity.account})`),
      (thrown) => setIdentity(BackendError.from(thrown).message),
    );
  }, [backend, load]);

  const run = async (work: () => Promise<void>) => {
    try {
      await work();
      await load();
    } catch (thrown) {
      report(thrown);
    }
  };

  const generate = () =>
    run(async () => setGenerated(await backend.generatePolicy(template, bucket.trim(), basePath)));

  const createUser = () =>
    run(async () => {
      let policy: PolicyAttachment | null = null;
      if (newUserPolicy === "readonly") policy = { kind: "managed", arn: READ_ONLY };
      if (newUserPolicy === "generated") {
        if (!generated) throw new BackendError("invalid_input", t("iam.generateFirst"));
        policy = { kind: "inline", name: `bucketdesk-${template}`, document: generated.document };
      }
      await backend.createIamUser(newUser.trim(), policy);
      setNotice(t("iam.userCreated", { user: newUser.trim() }));
      setNewUser("");
    });

  const deleteUser = (user: string) =>
    run(async () => {
      setDeleting(null);
      const done = await backend.deleteIamUser(user, false);
      setNotice(t("iam.userDeleted", { user, keys: done.keys.length, groups: done.groups.length }));
    });

  const createKey = (user: string) =>
    run(async () => {
      setKeyFor(null);
      setCreated(await backend.createAccessKey(user, bindSource === "" ? null : bindSource));
      setBindSource("");
    });

  return (
    <section className="page" data-testid="page-iam" aria-labelledby={id}>
      <h1 id={id}>{t("iam.title")}</h1>
      <p className="muted" data-testid="iam-identity">
        {t("settings.adminIdentity")}: {identity ?? "…"}
      </p>
      {error && <p className="field-problem" role="alert">{error}</p>}
      {notice && <p className="card" role="status" data-testid="iam-notice">{notice}</p>}

      <div className="tabs" role="tablist" aria-label={t("iam.title")}>
        {TABS.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            id={`${id}-tab-${name}`}
            aria-selected={tab === name}
            aria-controls={`${id}-panel`}
            className="tab"
            data-testid={`iam-tab-${name}`}
            onClick={() => setTab(name)}
          >
            {t(`iam.tab.${name}` as const)}
          </button>
        ))}
      </div>
      {deleting && (
        <div className="card confirm" role="alertdialog" data-testid="iam-confirm">
          <p>{t("iam.deleteConfirm", { user: deleting })}</p>
          <button type="button" className="button-quiet" onClick={() => setDeleting(null)}>{t("common.cancel")}</button>{" "}
          <button type="button" className="button-primary" data-testid="iam-confirm-ok" onClick={() => void deleteUser(deleting)}>
            {t("iam.deleteUser")}
          </button>
        </div>
      )}
      {created && (
        <div className="card confirm" role="alertdialog" data-testid="iam-new-key">
          <p className="strong">{t("iam.secretOnce", { key: created.accessKeyId, user: created.user })}</p>
          <p className="muted">{t("iam.secretOnceHint")}</p>
          <p>
            <code data-testid="iam-new-key-id">{created.accessKeyId}</code>
          </p>
          <p>
            <input
              readOnly
              className="secret-once"
              data-testid="iam-new-key-secret"
              value={created.secretAccessKey}
              aria-label="Secret Access Key"
              onFocus={(e) => e.currentTarget.select()}
            />{" "}
            <button type="button" className="button-quiet" data-testid="iam-new-key-copy" onClick={() => void navigator.clipboard?.writeText(created.secretAccessKey)}>
              {t("common.copy")}
            </button>
          </p>
          {created.boundSource && <p data-testid="iam-new-key-bound">{t("iam.secretBound", { source: created.boundSource })}</p>}
          <button type="button" className="button-primary" data-testid="iam-new-key-done" onClick={() => setCreated(null)}>
            {t("iam.secretDone")}
          </button>
        </div>
      )}
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${tab}`} data-testid={`iam-panel-${tab}`}>
        {tab === "users" && (
          <>
            <div className="card">
              <label className="field">
                <span>{t("iam.newUser")}</span>
                <input data-testid="iam-new-user" value={newUser} onChange={(e) => setNewUser(e.target.value)} />
              </label>
              <label className="field">
                <span>{t("iam.policy")}</span>
                <select data-testid="iam-new-user-policy" value={newUserPolicy} onChange={(e) => setNewUserPolicy(e.target.value as typeof newUserPolicy)}>
                  <option value="generated">{t("iam.policy.generatedTab")}</option>
                  <option value="readonly">AmazonS3ReadOnlyAccess</option>
                  <option value="none">{t("iam.policy.none")}</option>
                </select>
              </label>
              <button type="button" className="button-primary" data-testid="iam-create-user" disabled={newUser.trim() === ""} onClick={() => void createUser()}>
                {t("iam.createUser")}
              </button>
            </div>
            {users === null ? (
              <p className="muted">{t("sources.loading")}</p>
            ) : (
              <table className="table" data-testid="iam-users">
                <thead>
                  <tr>
                    <th scope="col">{t("iam.user")}</th>
                    <th scope="col">{t("iam.groups")}</th>
                    <th scope="col">{t("iam.policies")}</th>
                    <th scope="col">{t("iam.keys")}</th>
                    <th scope="col">{t("sources.column.actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {users.map((u) => (
                    <tr key={u.name} data-testid="iam-user-row" data-name={u.name}>
                      <td>
                        <span className="strong">{u.name}</span>
                        <div className="muted">{u.tags.map(([k, v]) => `${k}=${v}`).join(", ")}</div>
                      </td>
                      <td>{u.groups.join(", ")}</td>
                      <td>{[...u.inlinePolicies, ...u.attachedPolicies.map((a) => a.split("/").pop())].join(", ")}</td>
                      <td data-testid="iam-user-keys">
                        {u.keys.length === 0
                          ? "—"
                          : u.keys.map((k) => (
                              <div key={k.accessKeyId} className="nowrap" title={k.accessKeyId}>
                                <code title={k.accessKeyId}>{k.maskedId}</code> {k.status}
                              </div>
                            ))}
                      </td>
                      <td>
                        {keyFor === u.name ? (
                          <div data-testid="iam-key-form">
                            <label className="field">
                              <span>{t("iam.bindTo")}</span>
                              <select data-testid="iam-key-bind" value={bindSource} onChange={(e) => setBindSource(e.target.value)}>
                                <option value="">{t("iam.bindNone")}</option>
                                {sourceNames.map((s) => <option key={s} value={s}>{s}</option>)}
                              </select>
                            </label>
                            <button type="button" className="button-quiet" onClick={() => setKeyFor(null)}>{t("common.cancel")}</button>{" "}
                            <button type="button" className="button-primary" data-testid="iam-key-create-ok" onClick={() => void createKey(u.name)}>
                              {t("iam.createKey")}
                            </button>
                          </div>
                        ) : (
                          <button
                            type="button"
                            className="button-quiet"
                            data-testid="iam-key-create"
                            disabled={u.atKeyLimit}
                            title={u.atKeyLimit ? t("iam.twoKeys") : undefined}
                            onClick={() => { setKeyFor(u.name); setBindSource(""); }}
                          >
                            {t("iam.createKey")}
                          </button>
                        )}{" "}
                        <button type="button" className="button-quiet" data-testid="iam-user-delete" onClick={() => setDeleting(u.name)}>
                          {t("iam.deleteUser")}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
        {tab === "keys" && (
          <>
            {users === null ? (
              <p className="muted">{t("sources.loading")}</p>
            ) : (
              <table className="table" data-testid="iam-keys">
                <thead>
                  <tr>
                    <th scope="col">{t("iam.keyId")}</th>
                    <th scope="col">{t("iam.user")}</th>
                    <th scope="col">{t("iam.status")}</th>
                    <th scope="col">{t("iam.lastUsed")}</th>
                    <th scope="col">{t("iam.usedBy")}</th>
                    <th scope="col">{t("sources.column.actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {users.flatMap((u) =>
                    u.keys.map((k) => (
                      <tr key={k.accessKeyId} data-testid="iam-key-row" data-key={k.accessKeyId}>
                        <td title={k.accessKeyId}>
                          <code title={k.accessKeyId}>{k.maskedId}</code>
                          {k.ageDays !== null && <div className="muted">{t("iam.age", { days: k.ageDays })}</div>}
                        </td>
                        <td>{u.name}</td>
                        <td>{k.status}</td>
                        <td>
                          {k.lastUsed ? (
                            <time dateTime={k.lastUsed} title={k.lastUsed}>
                              {relativeAge(k.lastUsed, language)}
                            </time>
                          ) : (
                            t("sources.never")
                          )}
                        </td>
                        <td>{k.sources.length ? k.sources.join(", ") : "—"}</td>
                        <td className="actions">
                          <button
                            type="button"
                            className="button-quiet"
                            data-testid="iam-key-toggle"
                            data-key={k.accessKeyId}
                            onClick={() => void run(() => backend.setKeyActive(k.accessKeyId, k.status !== "Active", false))}
                          >
                            {k.status === "Active" ? t("iam.deactivate") : t("iam.activate")}
                          </button>
                          <button
                            type="button"
                            className="button-quiet"
                            data-testid="iam-key-delete"
                            data-key={k.accessKeyId}
                            onClick={() => void run(() => backend.deleteAccessKey(k.accessKeyId, false))}
                          >
                            {t("iam.deleteKey")}
                          </button>
                        </td>
                      </tr>
                    )),
                  )}
                </tbody>
              </table>
            )}
          </>
        )}
        {tab === "groups" && (
          <>
            <div className="card" data-testid="iam-groups">
              <ul>
                {groups.map((g) => (
                  <li key={g.name} data-testid="iam-group" data-name={g.name}>
                    <strong>{g.name}</strong>:{" "}
                    {g.users.length === 0
                      ? "—"
                      : g.users.map((member) => (
                          <span key={member} className="member">
                            {member}
                            <button
                              type="button"
                              className="button-quiet"
                              data-testid="iam-remove-member"
                              data-group={g.name}
                              data-user={member}
                              aria-label={t("iam.removeMember", { user: member, group: g.name })}
                              title={t("iam.removeMember", { user: member, group: g.name })}
                              onClick={() => void run(() => backend.setGroupMembership(g.name, member, false))}
                            >
                              ×
                            </button>{" "}
                          </span>
                        ))}{" "}
                    ({g.attachedPolicies.map((a) => a.split("/").pop()).join(", ") || "—"})
                  </li>
                ))}
              </ul>
              <label className="field">
                <span>{t("iam.newGroup")}</span>
                <input data-testid="iam-new-group" value={newGroup} onChange={(e) => setNewGroup(e.target.value)} />
              </label>
              <button
                type="button"
                className="button-quiet"
                data-testid="iam-create-group"
                disabled={newGroup.trim() === ""}
                onClick={() => void run(async () => { await backend.createIamGroup(newGroup.trim(), READ_ONLY); setNewGroup(""); })}
              >
                {t("iam.createGroup")}
              </button>
              <p>
                <select data-testid="iam-member-user" aria-label={t("iam.memberUser")} value={memberUser} onChange={(e) => setMemberUser(e.target.value)}>
                  <option value="">{t("iam.user")}</option>
                  {(users ?? []).map((u) => <option key={u.name} value={u.name}>{u.name}</option>)}
                </select>{" "}
                <select data-testid="iam-member-group" aria-label={t("iam.memberGroup")} value={memberGroup} onChange={(e) => setMemberGroup(e.target.value)}>
                  <option value="">{t("iam.groups")}</option>
                  {groups.map((g) => <option key={g.name} value={g.name}>{g.name}</option>)}
                </select>{" "}
                <button
                  type="button"
                  className="button-quiet"
                  data-testid="iam-add-member"
                  disabled={!memberUser || !memberGroup}
                  onClick={() => void run(() => backend.setGroupMembership(memberGroup, memberUser, true))}
                >
                  {t("iam.addMember")}
                </button>
              </p>
            </div>
          </>
        )}
        {tab === "policies" && (
          <>
            <div className="card">
              <h2>{t("iam.generator")}</h2>
              <label className="field">
                <span>{t("iam.template")}</span>
                <select data-testid="policy-template" value={template} onChange={(e) => setTemplate(e.target.value as Template)}>
                  <option value="cdn-reader">{t("iam.template.reader")}</option>
                  <option value="uploader">{t("iam.template.uploader")}</option>
                  <option value="public-read">{t("iam.template.public")}</option>
                </select>
              </label>
              <label className="field">
                <span>{t("wizard.bucket")}</span>
                <input data-testid="policy-bucket" value={bucket} onChange={(e) => setBucket(e.target.value)} />
              </label>
              <label className="field">
                <span>{t("wizard.basePath")}</span>
                <input data-testid="policy-base-path" value={basePath} onChange={(e) => setBasePath(e.target.value)} />
              </label>
              <button type="button" className="button-primary" data-testid="policy-generate" onClick={() => void generate()}>
                {t("iam.generate")}
              </button>
              {generated && (
                <>
                  <pre className="policy" data-testid="policy-json">{generated.document}</pre>
                  <p data-testid="policy-findings">
                    {generated.findings.length === 0 ? t("iam.noFindings") : generated.findings.map((f) => `${f.issue}: ${f.detail}`).join("; ")}
                  </p>
                  <button type="button" className="button-quiet" onClick={() => void navigator.clipboard?.writeText(generated.document)}>
                    {t("common.copy")}
                  </button>
                </>
              )}
            </div>
          </>
        )}
      </div>
    </section>
  );
}
