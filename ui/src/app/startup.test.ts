import { describe, expect, it } from "vitest";
import { MemoryBackend, defaultSettings } from "../backend/memory";
import { setAsideAndRestart, start } from "./startup";

describe("start", () => {
  it("is ready with the stored settings", async () => {
    const backend = new MemoryBackend({ settings: { ...defaultSettings, language: "ko" } });
    const startup = await start(backend);
    expect(startup).toMatchObject({ phase: "ready", settings: { language: "ko" }, setAsidePath: null });
  });

  it.each(["corrupt", "too_new"] as const)("stops on a %s config with the core's message", async (config) => {
    const backend = new MemoryBackend({ config });
    const startup = await start(backend);
    expect(startup.phase).toBe("config-unreadable");
    if (startup.phase !== "config-unreadable") return;
    expect(startup.error.code).toBe(config === "corrupt" ? "config_corrupt" : "config_too_new");
    expect(startup.error.message).toContain("config.json");
    expect(backend.calls.setAsideConfig, "nothing is moved without the user asking").toBe(0);
  });

  it("treats other load errors as a failed start, not a corrupt config", async () => {
    const backend = new MemoryBackend();
    backend.failNext("loadSettings", "io", "permission denied");
    expect(await start(backend)).toMatchObject({ phase: "failed", error: { code: "io" } });
  });

  it("fails without app info, and has none to show", async () => {
    const backend = new MemoryBackend();
    backend.failNext("appInfo", "internal", "boom");
    expect(await start(backend)).toMatchObject({ phase: "failed", info: null });
  });
});

describe("setAsideAndRestart", () => {
  it("moves the file, reloads settings and says where the old file is", async () => {
    const backend = new MemoryBackend({ config: "corrupt" });
    const first = await start(backend);
    if (first.phase !== "config-unreadable") throw new Error(`expected config-unreadable, got ${first.phase}`);

    const next = await setAsideAndRestart(backend, first.info);
    expect(next).toMatchObject({ phase: "ready", settings: defaultSettings });
    if (next.phase !== "ready") return;
    expect(next.setAsidePath).toBe(backend.setAside[0]);
    expect(backend.calls.loadSettings, "settings are loaded again after the move").toBe(2);
  });

  it("rejects when the move fails, so the error page stays", async () => {
    const backend = new MemoryBackend({ config: "corrupt" });
    backend.failNext("setAsideConfig", "io", "read-only file system");
    await expect(setAsideAndRestart(backend, backend.info)).rejects.toMatchObject({
      code: "io",
      message: "read-only file system",
    });
    expect(backend.config).toBe("corrupt");
  });
});
