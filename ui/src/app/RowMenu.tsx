// A row's secondary actions behind one "More" button: the common action stays visible in the
// row, the rest open in a small menu (Escape or a click elsewhere closes it).

import { useEffect, useRef, useState, type ReactNode } from "react";
import { MoreIcon } from "./icons";

export function RowMenu({ label, testId, children }: { label: string; testId: string; children: (close: () => void) => ReactNode }) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (!open) return;
    const away = (e: MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    const escape = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    document.addEventListener("mousedown", away);
    document.addEventListener("keydown", escape);
    return () => {
      document.removeEventListener("mousedown", away);
      document.removeEventListener("keydown", escape);
    };
  }, [open]);
  return (
    <span className="row-menu" ref={root}>
      <button
        type="button"
        className="button-quiet"
        data-testid={testId}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={label}
        title={label}
        onClick={() => setOpen((o) => !o)}
      >
        <MoreIcon />
      </button>
      {open && (
        <span className="row-menu-items card" role="menu">
          {children(() => setOpen(false))}
        </span>
      )}
    </span>
  );
}
