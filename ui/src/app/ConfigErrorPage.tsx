// Full-page states that replace the shell: the config file cannot be read (with the way out:
// move it aside and start with defaults), or the core could not be reached at all.

import { useId, useState } from "react";
import type { BackendError } from "../backend/backend";
import { useI18n } from "../i18n/context";

export function ConfigErrorPage({ error, onSetAside }: { error: BackendError; onSetAside: () => Promise<void> }) {
  const { t } = useI18n();
  const id = useId();
  const [busy, setBusy] = useState(false);

  const setAside = async () => {
    setBusy(true);
    try {
      await onSetAside();
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="full-page" data-testid="config-error" aria-labelledby={id}>
      <div className="full-page-card">
        <h1 id={id}>{t("config.title")}</h1>
        <p className="error-message" data-testid="config-error-message">
          {error.message}
        </p>
        <p>{t("config.explain")}</p>
        <button
          type="button"
          className="button-primary"
          data-testid="config-set-aside"
          disabled={busy}
          onClick={() => void setAside()}
        >
          {busy ? t("config.settingAside") : t("config.setAside")}
        </button>
      </div>
    </main>
  );
}

export function StartupFailedPage({ error, onRetry }: { error: BackendError; onRetry: () => void }) {
  const { t } = useI18n();
  const id = useId();
  return (
    <main className="full-page" data-testid="startup-error" aria-labelledby={id}>
      <div className="full-page-card">
        <h1 id={id}>{t("startup.failed")}</h1>
        <p className="error-message">{error.message}</p>
        <button type="button" className="button-primary" onClick={onRetry}>
          {t("startup.retry")}
        </button>
      </div>
    </main>
  );
}
