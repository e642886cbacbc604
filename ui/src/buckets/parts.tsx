// Small pieces the Buckets screen shares: the modal dialog, the typed-name confirmation,
// sizes, and the hook that debounces a question to the core.

import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { BackendError } from "../backend/backend";
import { useI18n } from "../i18n/context";

/** A modal dialog over the page: labelled by its title, closed by Escape or its close button. */
export function Dialog(props: {
  title: string;
  testId: string;
  onClose: (() => void) | null;
  children: ReactNode;
  wide?: boolean;
}) {
  const { t } = useI18n();
  const id = useId();
  const ref = useRef<HTMLDivElement>(null);
  const { onClose } = props;
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>("input, textarea, select, button:not([data-close])")?.focus();
  }, []);
  useEffect(() => {
    if (!onClose) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="bk-backdrop">
      <div
        ref={ref}
        className={props.wide ? "bk-dialog wide" : "bk-dialog"}
        role="dialog"
        aria-modal="true"
        aria-labelledby={id}
        data-testid={props.testId}
      >
        <div className="bk-dialog-head">
          <h2 id={id}>{props.title}</h2>
          {onClose && (
            <button type="button" className="button-quiet" data-close aria-label={t("common.close")} data-testid={`${props.testId}-close`} onClick={onClose}>
              ×
            </button>
          )}
        </div>
        {props.children}
      </div>
    </div>
  );
}

/** The bucket's name typed as the confirmation of something that cannot be undone. */
export function TypedName(props: { bucket: string; value: string; onChange: (v: string) => void; testId: string; label?: string }) {
  const { t } = useI18n();
  return (
    <label className="field">
      <span>{props.label ?? t("buckets.typeName", { bucket: props.bucket })}</span>
      <input
        data-testid={props.testId}
        value={props.value}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </label>
  );
}

/** Bytes in binary units, as file managers show them. */
export function formatBytes(bytes: number, language: string): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(language, { maximumFractionDigits: digits }).format(value)} ${units[unit]}`;
}

/** The core's answer to `ask(input)`, asked `delay` ms after the input stops changing. */
export function useDebounced<I, O>(
  input: I | null,
  ask: (input: I) => Promise<O>,
  delay = 300,
): { answer: O | null; error: string | null; pending: boolean } {
  const [state, setState] = useState<{ answer: O | null; error: string | null; pending: boolean }>({ answer: null, error: null, pending: false });
  const askRef = useRef(ask);
  askRef.current = ask;
  const key = input === null ? null : JSON.stringify(input);
  useEffect(() => {
    if (key === null) {
      setState({ answer: null, error: null, pending: false });
      return;
    }
    let current = true;
    setState((s) => ({ ...s, pending: true }));
    const timer = setTimeout(() => {
      askRef.current(JSON.parse(key) as I).then(
        (answer) => current && setState({ answer, error: null, pending: false }),
        (thrown) => current && setState({ answer: null, error: BackendError.from(thrown).message, pending: false }),
      );
    }, delay);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [key, delay]);
  return state;
}
