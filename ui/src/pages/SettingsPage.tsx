// Settings: language and theme are saved the moment they change (they are visible at once);
// the CDN port, cache size and admin profile are typed, so they are saved with a button.

import { useEffect, useId, useState, type FormEvent } from "react";
import { BackendError, type AdminInfo, type AppInfo, type Language, type Settings, type Theme } from "../backend/backend";
import { useI18n } from "../i18n/context";
import { LanguageSelect } from "../app/LanguageSelect";
import { applyDraft, draftFrom, type DraftProblem, type SettingsDraft } from "./settingsForm";

interface Props {
  info: AppInfo;
  settings: Settings;
  language: Language;
  onLanguage: (language: Language) => void;
  onTheme: (theme: Theme) => void;
  /** Saves; resolves to whether it worked (failures are already reported). */
  onSave: (settings: Settings) => Promise<boolean>;
  /** Who the admin credentials are (STS), shown so the admin knows which account is used. */
  adminIdentity?: () => Promise<AdminInfo>;
  /** The profiles of ~/.aws, offered for the admin profile field. */
  awsProfiles?: () => Promise<string[]>;
}

const themes: readonly Theme[] = ["system", "light", "dark"];

const testIds: Record<keyof SettingsDraft, string> = {
  cdnPort: "settings-cdn-port",
  cacheMb: "settings-cache-mb",
  memoryCacheMb: "settings-memory-cache-mb",
  adminProfile: "settings-admin-profile",
  productionCdnBase: "settings-production-cdn-base",
};

export function SettingsPage({ info, settings, language, onLanguage, onTheme, onSave, adminIdentity, awsProfiles }: Props) {
  const { t } = useI18n();
  const [profiles, setProfiles] = useState<string[]>([]);
  useEffect(() => {
    if (!awsProfiles) return;
    let current = true;
    awsProfiles().then((p) => current && setProfiles(p), () => current && setProfiles([]));
    return () => {
      current = false;
    };
  }, [awsProfiles]);
  const [identity, setIdentity] = useState<string | null>(null);
  useEffect(() => {
    if (!adminIdentity) return;
    let current = true;
    adminIdentity().then(
      (a) => current && setIdentity(`${a.identity.arn} (${a.identity.account})${a.sandbox ? ` ${t("settings.adminSandbox")}` : ""}`),
      (thrown) => current && setIdentity(BackendError.from(thrown).message),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [adminIdentity, settings.adminProfile]);
  const id = useId();
  const [draft, setDraft] = useState<SettingsDraft>(() => draftFrom(settings));
  const [problems, setProblems] = useState<DraftProblem[]>([]);
  const [status, setStatus] = useState<"idle" | "saving" | "saved">("idle");

  // What the core stored (it may normalise, e.g. trim the profile) replaces what was typed.
  // Keyed on the form's own fields, so a language or theme change keeps unsaved edits.
  const { cdnPort, cacheMb, memoryCacheMb, adminProfile, productionCdnBase } = settings;
  useEffect(() => {
    setDraft(draftFrom({ ...settings, cdnPort, cacheMb, memoryCacheMb, adminProfile, productionCdnBase }));
  }, [cdnPort, cacheMb, memoryCacheMb, adminProfile, productionCdnBase]);

  const edit = (field: keyof SettingsDraft, value: string) => {
    setDraft((current) => ({ ...current, [field]: value }));
    setProblems((current) => current.filter((problem) => problem.field !== field));
    setStatus("idle");
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = applyDraft(settings, draft);
    if ("problems" in result) {
      setProblems(result.problems);
      return;
    }
    setStatus("saving");
    const saved = await onSave(result.settings);
    setStatus(saved ? "saved" : "idle");
  };

  const problemFor = (field: keyof SettingsDraft) =>
    problems.find((problem) => problem.field === field);

  const field = (name: keyof SettingsDraft, label: string, hint: string, inputMode?: "numeric") => {
    const problem = problemFor(name);
    const inputId = `${id}-${name}`;
    return (
      <div className="field">
        <label htmlFor={inputId}>{label}</label>
        <input
          id={inputId}
          data-testid={testIds[name]}
          value={draft[name]}
          inputMode={inputMode}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={problem ? true : undefined}
          aria-describedby={`${inputId}-hint`}
          list={name === "adminProfile" && profiles.length > 0 ? `${inputId}-profiles` : undefined}
          onChange={(event) => edit(name, event.target.value)}
        />
        {name === "adminProfile" && profiles.length > 0 && (
          <datalist id={`${inputId}-profiles`} data-testid="settings-profiles">
            {profiles.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        )}
        <p id={`${inputId}-hint`} className={problem ? "field-problem" : "field-hint"}>
          {problem ? t(problem.message) : hint}
        </p>
      </div>
    );
  };

  return (
    <section className="page" data-testid="page-settings" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>{t("settings.title")}</h1>

      <div className="panel">
        <div className="field">
          <label htmlFor={`${id}-language`}>{t("language.label")}</label>
          <LanguageSelect id={`${id}-language`} testId="settings-language" value={language} onChange={onLanguage} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-theme`}>{t("settings.theme")}</label>
          <select
            id={`${id}-theme`}
            data-testid="settings-theme"
            value={settings.theme}
            onChange={(event) => onTheme(event.target.value as Theme)}
          >
            {themes.map((theme) => (
              <option key={theme} value={theme}>
                {t(`settings.theme.${theme}`)}
              </option>
            ))}
          </select>
        </div>
        <p className="field-hint">{t("settings.appliesNow")}</p>
      </div>

      <form className="panel" onSubmit={(event) => void submit(event)} noValidate>
        {field("cdnPort", t("settings.cdnPort"), t("settings.cdnPort.hint"), "numeric")}
        {field("cacheMb", t("settings.cacheMb"), t("settings.cacheMb.hint"), "numeric")}
        {field("memoryCacheMb", t("settings.memoryCacheMb"), t("settings.memoryCacheMb.hint"), "numeric")}
        {field("adminProfile", t("settings.adminProfile"), t("settings.adminProfile.hint"))}
        {field("productionCdnBase", t("settings.productionCdnBase"), t("settings.productionCdnBase.hint"))}
        <div className="form-actions">
          <button type="submit" className="button-primary" data-testid="settings-save" disabled={status === "saving"}>
            {status === "saving" ? t("settings.saving") : t("settings.save")}
          </button>
          <span role="status" className="form-status">
            {status === "saved" ? t("settings.saved") : ""}
          </span>
        </div>
      </form>

      <div className="panel">
        <h2>{t("settings.about")}</h2>
        <dl className="facts">
          <dt>{t("settings.configDir")}</dt>
          <dd>
            <code data-testid="settings-config-dir">{info.configDir}</code>
          </dd>
          <dt>{t("settings.adminIdentity")}</dt>
          <dd data-testid="settings-admin-identity">{identity ?? "…"}</dd>
          <dt>{t("settings.version")}</dt>
          <dd data-testid="settings-version">{info.version}</dd>
        </dl>
      </div>
    </section>
  );
}
