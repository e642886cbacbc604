// Errors that do not stop the app: each backend message is shown as it came (it is already
// in the user's language) until the user dismisses it.

import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { BackendError } from "../backend/backend";
import { useI18n } from "../i18n/context";

interface Toast {
  id: number;
  message: string;
}

type Report = (thrown: unknown) => void;

const ToastContext = createContext<Report>(() => {});

/** Returns the function that shows an error to the user. */
export function useReportError(): Report {
  return useContext(ToastContext);
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const report = useCallback<Report>((thrown) => {
    const { message } = BackendError.from(thrown);
    const id = nextId.current++;
    setToasts((shown) => [...shown, { id, message }]);
  }, []);

  const dismiss = useCallback((id: number) => {
    setToasts((shown) => shown.filter((toast) => toast.id !== id));
  }, []);

  const value = useMemo(() => report, [report]);

  return (
    <ToastContext.Provider value={value}>
      {children}
      <ToastList toasts={toasts} onDismiss={dismiss} />
    </ToastContext.Provider>
  );
}

function ToastList({ toasts, onDismiss }: { toasts: Toast[]; onDismiss: (id: number) => void }) {
  const { t } = useI18n();
  if (toasts.length === 0) return null;
  return (
    <div className="toasts">
      {toasts.map((toast) => (
        <div key={toast.id} className="toast" role="alert" data-testid="toast">
          <p>{toast.message}</p>
          <button type="button" className="button-quiet" onClick={() => onDismiss(toast.id)}>
            {t("common.dismiss")}
          </button>
        </div>
      ))}
    </div>
  );
}
