// The Settings form's text fields and how they become `Settings`: whole numbers only (no
// "8e3", no "80.5"), an empty profile meaning "use the default credential chain".

import type { Settings } from "../bindings";
import type { PlainMessageKey } from "../i18n/catalog";

export interface SettingsDraft {
  cdnPort: string;
  cacheMb: string;
  adminProfile: string;
}

export type DraftProblem = { field: keyof SettingsDraft; message: PlainMessageKey };

export function draftFrom(settings: Settings): SettingsDraft {
  return {
    cdnPort: String(settings.cdnPort),
    cacheMb: String(settings.cacheMb),
    adminProfile: settings.adminProfile ?? "",
  };
}

function wholeNumber(text: string): number | null {
  const trimmed = text.trim();
  return /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : null;
}

/** The settings to save, or the problems to show beside the fields. */
export function applyDraft(
  settings: Settings,
  draft: SettingsDraft,
): { settings: Settings } | { problems: DraftProblem[] } {
  const problems: DraftProblem[] = [];
  const cdnPort = wholeNumber(draft.cdnPort);
  if (cdnPort === null || cdnPort < 1 || cdnPort > 65535) {
    problems.push({ field: "cdnPort", message: "settings.invalidPort" });
  }
  const cacheMb = wholeNumber(draft.cacheMb);
  if (cacheMb === null || cacheMb < 1) {
    problems.push({ field: "cacheMb", message: "settings.invalidCache" });
  }
  if (problems.length > 0 || cdnPort === null || cacheMb === null) return { problems };
  const profile = draft.adminProfile.trim();
  return { settings: { ...settings, cdnPort, cacheMb, adminProfile: profile === "" ? null : profile } };
}
