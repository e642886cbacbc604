// Edit a saved source: its non-secret fields, and optionally a replacement key (the new
// secret goes to the keychain; the old one is removed once the source points at the new key).

import { useState } from "react";
import { BackendError, type Backend, type SourceSummary } from "../backend/backend";
import { useI18n } from "../i18n/context";

export function EditSource(props: { backend: Backend; source: SourceSummary; onClose: (saved: boolean) => void }) {
  const { t } = useI18n();
  const { source } = props;
  const [bucket, setBucket] = useState(source.bucket);
  const [region, setRegion] = useState(source.region);
  const [basePath, setBasePath] = useState(source.basePath);
  const [endpoint, setEndpoint] = useState(source.endpointUrl ?? "");
  const [keyId, setKeyId] = useState("");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    // The bucket, BasePath and endpoint are the core's to check: it refuses them by name.
    if ((keyId.trim() === "") !== (secret.trim() === "")) return setError(t("wizard.invalidKey"));
    setBusy(true);
    try {
      await props.backend.updateSource(source.name, {
        bucket: bucket.trim(),
        region: region.trim() || null,
        basePath,
        endpointUrl: endpoint.trim() || null,
        newKey: keyId.trim() ? { accessKeyId: keyId.trim(), secretAccessKey: secret.trim() } : null,
      });
      setSecret("");
      props.onClose(true);
    } catch (thrown) {
      setError(BackendError.from(thrown).message);
    } finally {
      setBusy(false);
    }
  };

  const field = (label: string, testId: string, value: string, set: (v: string) => void, type = "text") => (
    <label className="field">
      <span>{label}</span>
      <input data-testid={testId} type={type} value={value} autoComplete="off" spellCheck={false} onChange={(e) => { set(e.target.value); setError(null); }} />
    </label>
  );

  return (
    <section className="card wizard" data-testid="edit-source">
      <h2>{t("edit.title", { name: source.name })}</h2>
      {field(t("wizard.bucket"), "edit-bucket", bucket, setBucket)}
      {field(t("wizard.region"), "edit-region", region, setRegion)}
      {field(t("wizard.basePath"), "edit-base-path", basePath, setBasePath)}
      {field(t("wizard.endpoint"), "edit-endpoint", endpoint, setEndpoint)}
      <p className="muted">{t("edit.replaceKey")}</p>
      {field(t("wizard.keyId"), "edit-key-id", keyId, setKeyId)}
      {field(t("wizard.secret"), "edit-secret", secret, setSecret, "password")}
      <p className="muted">{t("edit.reverify")}</p>
      {error && <p className="field-problem" role="alert">{error}</p>}
      <footer className="wizard-foot">
        <button type="button" className="button-quiet" onClick={() => props.onClose(false)}>
          {t("common.cancel")}
        </button>
        <button type="button" className="button-primary" data-testid="edit-save" disabled={busy} onClick={() => void save()}>
          {t("wizard.save")}
        </button>
      </footer>
    </section>
  );
}
