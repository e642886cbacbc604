// The Settings form's text fields and how they become `Settings`: whole numbers only (no
// "8e3", no "80.5"), an empty profile meaning "use the default credential chain". The core
// checks again and has the last word; checking here lets the form point at the field.

import { settingsLimits as limits, type Settings } from "../backend/backend";
import type { PlainMessageKey } from "../i18n/catalog";

export interface SettingsDraft {
  cdnPort: string;
  cacheMb: string;
  memoryCacheMb: string;
  adminProfile: string;
  /** Empty: the core's default (Weekerp's own CDN). */
  productionCdnBase: string;
}

export type DraftProblem = { field: keyof SettingsDraft; message: PlainMessageKey };

export function draftFrom(settings: Settings): SettingsDraft {
  return {
    cdnPort: String(settings.cdnPort),
    cacheMb: String(settings.cacheMb),
    memoryCacheMb: String(settings.memoryCacheMb),
    adminProfile: settings.adminProfile ?? "",
    productionCdnBase: settings.productionCdnBase ?? "",
  };
}

function wholeNumber(text: string, range: { min: number; max: number }): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,9}$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value >= range.min && value <= range.max ? value : null;
}

/** The settings to save, or the problems to show beside the fields. */
export function applyDraft(
  settings: Settings,
  draft: SettingsDraft,
): { settings: Settings } | { problems: DraftProblem[] } {
  const problems: DraftProblem[] = [];
  const cdnPort = wholeNumber(draft.cdnPort, limits.cdnPort);
  if (cdnPort === null) problems.push({ field: "cdnPort", message: "settings.invalidPort" });
  const cacheMb = wholeNumber(draft.cacheMb, limits.cacheMb);
  if (cacheMb === null) problems.push({ field: "cacheMb", message: "settings.invalidCache" });
  const memoryCacheMb = wholeNumber(draft.memoryCacheMb, limits.memoryCacheMb);
  if (memoryCacheMb === null) problems.push({ field: "memoryCacheMb", message: "settings.invalidMemoryCache" });
  const profile = draft.adminProfile.trim();
  if (/\s/.test(profile) || profile.length > limits.adminProfileLength) {
    problems.push({ field: "adminProfile", message: "settings.invalidProfile" });
  }
  if (problems.length > 0 || cdnPort === null || cacheMb === null || memoryCacheMb === null) return { problems };
  // The base URL is the core's to check (it names the field when it refuses).
  const base = draft.productionCdnBase.trim();
  return {
    settings: {
      ...settings,
      cdnPort,
      cacheMb,
      memoryCacheMb,
      adminProfile: profile === "" ? null : profile,
      // Empty: left out, so the core uses its default.
      productionCdnBase: base === "" ? undefined : base,
    },
  };
}
