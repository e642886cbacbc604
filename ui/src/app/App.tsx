// The window: the sandbox banner, the header (product name, language), and either the shell
// with its navigation or one of the full-page startup states.

import { useCallback, useEffect, useRef, useState, type Dispatch, type SetStateAction } from "react";
import type { AppInfo, Backend, Language, Settings, Theme } from "../backend/backend";
import { resolveLanguage } from "../i18n/catalog";
import { I18nProvider, useI18n } from "../i18n/context";
import { BucketsPage } from "../buckets/BucketsPage";
import { IamPage } from "../pages/IamPage";
import { SettingsPage } from "../pages/SettingsPage";
import { SourcesPage } from "../pages/SourcesPage";
import { ConfigErrorPage, StartupFailedPage } from "./ConfigErrorPage";
import { applyToDocument, browserLanguage } from "./document";
import { LanguageSelect } from "./LanguageSelect";
import { SandboxBanner } from "./SandboxBanner";
import { watchSandbox } from "./sandbox";
import { setAsideAndRestart, start, type Startup } from "./startup";
import { ToastProvider, useReportError } from "./toasts";

export type Page = "sources" | "iam" | "buckets" | "settings";
const pages: readonly Page[] = ["sources", "iam", "buckets", "settings"];

export function App({ backend }: { backend: Backend }) {
  const [startup, setStartup] = useState<Startup>({ phase: "starting" });
  // Used only while there are no readable settings to keep the choice in.
  const [unsavedLanguage, setUnsavedLanguage] = useState<Language | null>(null);

  const info = startup.phase === "starting" ? null : startup.info;
  const language =
    startup.phase === "ready"
      ? resolveLanguage(startup.settings.language, startup.info.osLanguage)
      : (unsavedLanguage ?? info?.osLanguage ?? browserLanguage(navigator.languages));
  const theme: Theme = startup.phase === "ready" ? startup.settings.theme : "system";

  useEffect(() => applyToDocument(document.documentElement, language, theme), [language, theme]);

  const run = useCallback(() => {
    let current = true;
    setStartup({ phase: "starting" });
    void start(backend).then((next) => {
      if (current) setStartup(next);
    });
    return () => {
      current = false;
    };
  }, [backend]);
  useEffect(run, [run]);

  return (
    <I18nProvider language={language}>
      <ToastProvider>
        <Window
          backend={backend}
          startup={startup}
          setStartup={setStartup}
          language={language}
          unsavedLanguage={unsavedLanguage}
          onUnsavedLanguage={setUnsavedLanguage}
          onRetry={run}
        />
      </ToastProvider>
    </I18nProvider>
  );
}

interface WindowProps {
  backend: Backend;
  startup: Startup;
  setStartup: Dispatch<SetStateAction<Startup>>;
  language: Language;
  unsavedLanguage: Language | null;
  onUnsavedLanguage: (language: Language) => void;
  onRetry: () => void;
}

function Window(props: WindowProps) {
  const { backend, startup, setStartup, language, unsavedLanguage, onUnsavedLanguage, onRetry } = props;
  const { t } = useI18n();
  const report = useReportError();
  const info = startup.phase === "starting" ? null : startup.info;

  // Follow the sandbox while it starts, in whatever phase the window is.
  const sandboxStarting = info?.sandbox.state === "starting";
  const infoRef = useRef(info);
  infoRef.current = info;
  useEffect(() => {
    const initial = infoRef.current;
    if (!sandboxStarting || !initial) return;
    const watch = watchSandbox(
      backend,
      initial,
      (fresh: AppInfo) =>
        setStartup((current) =>
          current.phase === "starting" || current.info === null ? current : { ...current, info: fresh },
        ),
      report,
    );
    return () => watch.stop();
  }, [backend, sandboxStarting, setStartup, report]);

  // The latest settings, so overlapping saves (a language switch during a form save) each
  // start from what is current rather than from what their render saw.
  const settingsRef = useRef<Settings | null>(null);
  settingsRef.current = startup.phase === "ready" ? startup.settings : null;

  const putSettings = useCallback(
    (settings: Settings) =>
      setStartup((current) => (current.phase === "ready" ? { ...current, settings } : current)),
    [setStartup],
  );

  // Only the newest save's answer is shown: an older one finishing late would undo a newer change.
  const saveCount = useRef(0);
  const save = useCallback(
    async (next: Settings): Promise<boolean> => {
      const mine = ++saveCount.current;
      try {
        const saved = await backend.saveSettings(next);
        if (mine === saveCount.current) putSettings(saved);
        return true;
      } catch (thrown) {
        report(thrown);
        return false;
      }
    },
    [backend, putSettings, report],
  );

  /** Shows a change at once and saves it; puts the old value back if saving fails. */
  const saveAtOnce = useCallback(
    async (change: Partial<Settings>) => {
      const before = settingsRef.current;
      if (!before) return;
      const next = { ...before, ...change };
      settingsRef.current = next;
      putSettings(next);
      if (!(await save(next))) {
        const now = settingsRef.current ?? next;
        const undo = Object.fromEntries(Object.keys(change).map((key) => [key, before[key as keyof Settings]]));
        putSettings({ ...now, ...undo });
      }
    },
    [putSettings, save],
  );

  const changeLanguage = (next: Language) => {
    if (startup.phase === "ready") void saveAtOnce({ language: next });
    else onUnsavedLanguage(next);
  };

  const setAside = async () => {
    if (startup.phase !== "config-unreadable") return;
    let next: Startup;
    try {
      next = await setAsideAndRestart(backend, startup.info);
    } catch (thrown) {
      report(thrown);
      return;
    }
    // A language picked on the error page is kept once there are settings to keep it in.
    if (next.phase === "ready" && next.settings.language === null && unsavedLanguage !== null) {
      next = { ...next, settings: { ...next.settings, language: unsavedLanguage } };
      void save(next.settings);
    }
    setStartup(next);
  };

  return (
    <div className="window">
      {info && <SandboxBanner sandbox={info.sandbox} />}
      <header className="header">
        <span className="product" data-testid="app-title">
          {t("app.title")}
        </span>
        <LanguageSelect
          testId="language-select"
          ariaLabel={t("language.label")}
          value={language}
          onChange={changeLanguage}
        />
      </header>
      {startup.phase === "starting" && (
        <main className="full-page">
          <p className="muted">{t("app.starting")}</p>
        </main>
      )}
      {startup.phase === "failed" && <StartupFailedPage error={startup.error} onRetry={onRetry} />}
      {startup.phase === "config-unreadable" && (
        <ConfigErrorPage error={startup.error} onSetAside={setAside} />
      )}
      {startup.phase === "ready" && (
        <Shell
          backend={backend}
          info={startup.info}
          settings={startup.settings}
          language={language}
          setAsidePath={startup.setAsidePath}
          onDismissSetAside={() =>
            setStartup((current) => (current.phase === "ready" ? { ...current, setAsidePath: null } : current))
          }
          onLanguage={changeLanguage}
          onTheme={(theme) => void saveAtOnce({ theme })}
          onSave={(next) => {
            // The form owns only its fields; language and theme may have changed meanwhile.
            const current = settingsRef.current ?? next;
            return save({ ...current, cdnPort: next.cdnPort, cacheMb: next.cacheMb, memoryCacheMb: next.memoryCacheMb, adminProfile: next.adminProfile });
          }}
        />
      )}
    </div>
  );
}

interface ShellProps {
  backend: Backend;
  info: AppInfo;
  settings: Settings;
  language: Language;
  setAsidePath: string | null;
  onDismissSetAside: () => void;
  onLanguage: (language: Language) => void;
  onTheme: (theme: Theme) => void;
  onSave: (settings: Settings) => Promise<boolean>;
}

function Shell(props: ShellProps) {
  const { backend } = props;
  const adminIdentity = useCallback(() => backend.adminIdentity(), [backend]);
  const awsProfiles = useCallback(() => backend.listAwsProfiles(), [backend]);
  const { t } = useI18n();
  const [page, setPage] = useState<Page>("sources");

  return (
    <div className="shell">
      <nav className="nav" aria-label={t("nav.label")}>
        {pages.map((name) => (
          <button
            key={name}
            type="button"
            className="nav-item"
            data-testid={`nav-${name}`}
            aria-current={page === name ? "page" : undefined}
            onClick={() => setPage(name)}
          >
            {t(`nav.${name}`)}
          </button>
        ))}
      </nav>
      <div className="main">
        {props.setAsidePath !== null && (
          <div className="notice" role="status" data-testid="config-set-aside-notice">
            <p>{t("config.keptAt", { path: props.setAsidePath })}</p>
            <button type="button" className="button-quiet" onClick={props.onDismissSetAside}>
              {t("common.dismiss")}
            </button>
          </div>
        )}
        {page === "sources" && <SourcesPage backend={props.backend} sandbox={props.info.sandbox} />}
        {page === "iam" && <IamPage backend={props.backend} />}
        {page === "buckets" && <BucketsPage backend={props.backend} />}
        {page === "settings" && (
          <SettingsPage
            info={props.info}
            settings={props.settings}
            language={props.language}
            onLanguage={props.onLanguage}
            onTheme={props.onTheme}
            onSave={props.onSave}
            adminIdentity={adminIdentity}
            awsProfiles={awsProfiles}
          />
        )}
      </div>
    </div>
  );
}
