import { describe, expect, it } from "vitest";
import { BackendError } from "./backend";
import { MemoryBackend, defaultSettings } from "./memory";
import type { FormField, Settings } from "./backend";
import settingsFixture from "../fixtures/settings.json";
import sourceFieldsFixture from "../fixtures/source-fields.json";

describe("MemoryBackend", () => {
  it("returns saved settings on the next load", async () => {
    const backend = new MemoryBackend();
    const saved = await backend.saveSettings({
      language: "ko",
      theme: "dark",
      cdnPort: 9000,
      cacheMb: 256,
      memoryCacheMb: 64,
      adminProfile: "admin",
    });
    expect(saved.cdnPort).toBe(9000);
    expect(await backend.loadSettings()).toEqual({
      language: "ko",
      theme: "dark",
      cdnPort: 9000,
      cacheMb: 256,
      memoryCacheMb: 64,
      adminProfile: "admin",
    });
  });

  it("does not share objects with its callers", async () => {
    const backend = new MemoryBackend();
    const loaded = await backend.loadSettings();
    loaded.cdnPort = 1;
    expect((await backend.loadSettings()).cdnPort).toBe(defaultSettings.cdnPort);
  });

  it("answers a refused settings change with the core's own error (fixture)", async () => {
    const refusals = settingsFixture.cases.filter((c) => c.error !== null && c.language === "en");
    expect(refusals.length, "the fixture holds the core's refusals").toBeGreaterThanOrEqual(4);
    for (const refusal of refusals) {
      const backend = new MemoryBackend();
      await expect(backend.saveSettings(refusal.settings as Settings)).rejects.toMatchObject(refusal.error!);
      expect(await backend.loadSettings(), "a rejected save changes nothing").toEqual(defaultSettings);
    }
  });

  it("fails loudly on a call it has no scripted answer for", async () => {
    const backend = new MemoryBackend();
    await expect(backend.generatePolicy("cdn-reader", "not-in-the-fixture", "/")).rejects.toMatchObject({ code: "internal" });
    await expect(backend.checkSourceField("name", "not-in-the-fixture")).rejects.toMatchObject({ code: "internal" });
  });

  it("answers every typed source field with the core's own verdict (fixture), a name taken when it has that source", async () => {
    const backend = new MemoryBackend({ settings: { ...defaultSettings, language: "en" } });
    for (const c of sourceFieldsFixture.cases.filter((c) => c.language === "en" && !c.taken)) {
      expect(await backend.checkSourceField(c.field as FormField, c.value), `${c.field} ${JSON.stringify(c.value)}`).toEqual(c.check);
    }
    const taken = sourceFieldsFixture.cases.find((c) => c.field === "name" && c.value === "taken" && c.taken && c.language === "en")!;
    backend.sources.push({ name: "taken", bucket: "acme-photos", region: "us-east-1", basePath: "/", keyIdMasked: "AKIA…0001", endpointUrl: null, addedAt: "", lastVerified: null });
    expect(await backend.checkSourceField("name", "taken")).toEqual(taken.check);
  });

  it("refuses an unreadable config until it is set aside", async () => {
    const backend = new MemoryBackend({ config: "corrupt", settings: { ...defaultSettings, cdnPort: 9999 } });
    await expect(backend.loadSettings()).rejects.toMatchObject({ code: "config_corrupt" });
    await expect(backend.saveSettings(defaultSettings)).rejects.toMatchObject({ code: "config_corrupt" });
    const path = await backend.setAsideConfig();
    expect(path).toContain(backend.info.configDir);
    expect(path, "named as the core names it").toMatch(/config\.corrupt-.*\.json$/);
    expect(await backend.loadSettings(), "starts fresh from defaults").toEqual(defaultSettings);
  });

  it("fails the next call on request, once", async () => {
    const backend = new MemoryBackend();
    backend.failNext("listSources", "io", "disk on fire");
    await expect(backend.listSources()).rejects.toMatchObject({ code: "io", message: "disk on fire" });
    await expect(backend.listSources()).resolves.toEqual([]);
    expect(backend.calls.listSources).toBe(2);
  });
});

describe("BackendError.from", () => {
  it("keeps an ApiError's code and message", () => {
    const error = BackendError.from({ code: "keychain_unavailable", message: "no keychain" });
    expect(error).toBeInstanceOf(BackendError);
    expect(error.code).toBe("keychain_unavailable");
    expect(error.message).toBe("no keychain");
  });

  it("turns anything else into an internal error with its text", () => {
    expect(BackendError.from(new Error("ipc down"))).toMatchObject({ code: "internal", message: "ipc down" });
    expect(BackendError.from("plain string")).toMatchObject({ code: "internal", message: "plain string" });
  });
});
