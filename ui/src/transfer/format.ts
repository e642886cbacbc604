// How transfer numbers read: rates and times left, in the user's language. (Sizes use the
// browser's `humanSize`.) Formatting only: every number comes from the core's progress.

import type { Translate } from "../i18n/catalog";
import { humanSize } from "../sources/rules";

export function rateText(bytesPerSec: number): string {
  return `${humanSize(Math.round(bytesPerSec))}/s`;
}

/** "12 s", "3 min 5 s", "1 h 2 min"; "—" when there is no estimate yet. */
export function etaText(t: Translate, secs: number | null): string {
  if (secs === null || !Number.isFinite(secs)) return "—";
  const whole = Math.max(0, Math.ceil(secs));
  if (whole < 60) return t("transfer.eta.seconds", { s: whole });
  if (whole < 3600) return t("transfer.eta.minutes", { m: Math.floor(whole / 60), s: whole % 60 });
  return t("transfer.eta.hours", { h: Math.floor(whole / 3600), m: Math.floor((whole % 3600) / 60) });
}

/** 0–100, for a bar. */
export function percent(done: number, total: number): number {
  if (total <= 0) return done > 0 ? 100 : 0;
  return Math.min(100, Math.max(0, (done / total) * 100));
}
