// Says, above everything else, when the app is not talking to AWS but to the local sandbox.

import type { SandboxState } from "../backend/backend";
import { useI18n } from "../i18n/context";

export function SandboxBanner({ sandbox }: { sandbox: SandboxState }) {
  const { t } = useI18n();
  switch (sandbox.state) {
    case "off":
      return null;
    case "starting":
      return (
        <div className="banner banner-sandbox" role="status" data-testid="sandbox-banner" data-state="starting">
          <strong>{t("sandbox.title")}</strong>
          <span>{t("sandbox.starting")}</span>
        </div>
      );
    case "ready":
      return (
        <div className="banner banner-sandbox" role="status" data-testid="sandbox-banner" data-state="ready">
          <strong>{t("sandbox.title")}</strong>
          <span>
            {t("sandbox.ready", {
              endpoint: sandbox.endpoint,
              bucket: sandbox.bucket,
              objects: sandbox.objects,
              profile: sandbox.profile,
            })}
          </span>
          {sandbox.keychain === "sandbox" && (
            <span className="badge warn" data-testid="sandbox-keychain">
              {t("sandbox.keychain")}
            </span>
          )}
        </div>
      );
    case "failed":
      return (
        <div className="banner banner-failed" role="alert" data-testid="sandbox-banner" data-state="failed">
          <strong>{t("sandbox.title")}</strong>
          <span>{t("sandbox.failed", { message: sandbox.message })}</span>
        </div>
      );
  }
}
