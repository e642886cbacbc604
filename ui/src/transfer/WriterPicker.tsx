// Who writes: the admin profile or an uploader key, chosen explicitly and always shown. The
// source's own key is a reader and cannot write; the core refuses it, and says so.

import { useEffect, useState } from "react";
import { BackendError, type Backend, type SourceSummary, type Writer, type WriterChoice } from "../backend/backend";
import { useI18n } from "../i18n/context";

export function WriterPicker(props: {
  backend: Backend;
  source: SourceSummary;
  writer: WriterChoice;
  onChange: (writer: WriterChoice) => void;
}) {
  const { t } = useI18n();
  const { backend, source, writer } = props;
  const [keyId, setKeyId] = useState(writer.kind === "key" ? writer.accessKeyId : "");
  const [shown, setShown] = useState<Writer | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setShown(null);
    setProblem(null);
    if (writer.kind === "key" && !writer.accessKeyId.trim()) return;
    backend.describeWriter(source.name, writer).then(
      (w) => live && setShown(w),
      (thrown) => live && setProblem(BackendError.from(thrown).message),
    );
    return () => {
      live = false;
    };
  }, [backend, source.name, writer]);

  return (
    <fieldset className="writer-picker" data-testid="writer-picker">
      <legend>{t("transfer.writer.legend")}</legend>
      <label className="choice">
        <input type="radio" name="writer" data-testid="writer-admin" checked={writer.kind === "admin"} onChange={() => props.onChange({ kind: "admin" })} />
        {t("transfer.writer.admin")}
      </label>
      <label className="choice">
        <input
          type="radio"
          name="writer"
          data-testid="writer-key"
          checked={writer.kind === "key"}
          onChange={() => props.onChange({ kind: "key", accessKeyId: keyId })}
        />
        {t("transfer.writer.key")}
      </label>
      {writer.kind === "key" && (
        <label className="writer-key-id">
          {t("transfer.writer.keyId")}{" "}
          <input
            data-testid="writer-key-id"
            value={keyId}
            spellCheck={false}
            placeholder="AKIA…"
            onChange={(e) => setKeyId(e.target.value)}
            onBlur={() => props.onChange({ kind: "key", accessKeyId: keyId.trim() })}
          />
        </label>
      )}
      <p className="muted writer-shown" data-testid="writer-shown">
        {problem ? (
          <span className="field-problem">{problem}</span>
        ) : shown ? (
          shown.kind === "admin" ? (
            t("transfer.writer.asAdmin", { profile: shown.label ?? t("transfer.writer.defaultChain") })
          ) : (
            t("transfer.writer.asKey", { key: shown.label ?? "" })
          )
        ) : writer.kind === "key" ? (
          t("transfer.writer.keyHint")
        ) : (
          "…"
        )}
      </p>
    </fieldset>
  );
}
