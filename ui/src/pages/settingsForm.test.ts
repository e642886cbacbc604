import { describe, expect, it } from "vitest";
import { defaultSettings } from "../backend/memory";
import { applyDraft, draftFrom } from "./settingsForm";

describe("settings form", () => {
  it("round-trips settings through the draft", () => {
    const settings = { ...defaultSettings, adminProfile: "admin" };
    expect(applyDraft(settings, draftFrom(settings))).toEqual({ settings });
  });

  it("turns an empty profile into no profile", () => {
    const result = applyDraft(defaultSettings, { cdnPort: "8080", cacheMb: "64", memoryCacheMb: "128", adminProfile: "   ", productionCdnBase: "" });
    expect(result).toEqual({ settings: { ...defaultSettings, cdnPort: 8080, cacheMb: 64, adminProfile: null } });
  });

  it("accepts the limits the core accepts", () => {
    const result = applyDraft(defaultSettings, { cdnPort: "1024", cacheMb: "16", memoryCacheMb: "8", adminProfile: "", productionCdnBase: "" });
    expect(result).toEqual({ settings: { ...defaultSettings, cdnPort: 1024, cacheMb: 16, memoryCacheMb: 8, adminProfile: null } });
    expect(applyDraft(defaultSettings, { cdnPort: "65535", cacheMb: "1048576", memoryCacheMb: "16384", adminProfile: "a".repeat(128), productionCdnBase: "" })).toHaveProperty(
      "settings",
    );
  });

  it.each(["0", "1023", "65536", "80.5", "8e3", "", "-1", "port"])("rejects the port %j", (cdnPort) => {
    const result = applyDraft(defaultSettings, { ...draftFrom(defaultSettings), cdnPort });
    expect(result).toEqual({ problems: [{ field: "cdnPort", message: "settings.invalidPort" }] });
  });

  it("reports every bad field at once", () => {
    const result = applyDraft(defaultSettings, { cdnPort: "x", cacheMb: "15", memoryCacheMb: "4", adminProfile: "my profile", productionCdnBase: "" });
    expect("problems" in result && result.problems.map((p) => p.field)).toEqual(["cdnPort", "cacheMb", "memoryCacheMb", "adminProfile"]);
  });
  it("sends the production CDN base as typed, for the core to check", () => {
    const result = applyDraft(defaultSettings, { ...draftFrom(defaultSettings), productionCdnBase: " http://127.0.0.1:9000 " });
    expect(result).toEqual({ settings: { ...defaultSettings, productionCdnBase: "http://127.0.0.1:9000" } });
  });
});
