// A Copy button that says what it copies to a screen reader, and "Copied" for a moment after.

import { useEffect, useState } from "react";
import { useI18n } from "../i18n/context";

export function CopyHtml({ text, label, testId }: { text: string; label: string; testId: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <button
      type="button"
      className="button-quiet"
      aria-label={label}
      data-testid={testId}
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => setCopied(true), () => {});
      }}
    >
      {copied ? t("common.copied") : t("common.copy")}
    </button>
  );
}
