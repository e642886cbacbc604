import { beforeEach, describe, expect, it, vi } from "vitest";

// The generated commands, replaced: these tests are about how their results are unwrapped.
const commands = vi.hoisted(() => ({
  appInfo: vi.fn(),
  loadSettings: vi.fn(),
  saveSettings: vi.fn(),
  setAsideConfig: vi.fn(),
  listSources: vi.fn(),
}));
vi.mock("../bindings", () => ({ commands }));

import { BackendError } from "./backend";
import { tauriBackend } from "./tauri";

describe("tauriBackend", () => {
  beforeEach(() => vi.resetAllMocks());

  it("returns the data of an ok result", async () => {
    commands.listSources.mockResolvedValue({ status: "ok", data: [] });
    await expect(tauriBackend.listSources()).resolves.toEqual([]);
  });

  it("passes the settings through to the command", async () => {
    const settings = { language: "ko", theme: "light", cdnPort: 1, cacheMb: 1, memoryCacheMb: 1, adminProfile: null } as const;
    commands.saveSettings.mockResolvedValue({ status: "ok", data: settings });
    await tauriBackend.saveSettings(settings);
    expect(commands.saveSettings).toHaveBeenCalledWith(settings);
  });

  it("throws an error result as a BackendError with its code and message", async () => {
    commands.loadSettings.mockResolvedValue({
      status: "error",
      error: { code: "config_corrupt", message: "설정 파일이 손상되었습니다" },
    });
    const failure = await tauriBackend.loadSettings().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BackendError);
    expect(failure).toMatchObject({ code: "config_corrupt", message: "설정 파일이 손상되었습니다" });
  });

  it("turns a thrown IPC failure into an internal BackendError", async () => {
    commands.appInfo.mockRejectedValue(new Error("command app_info not found"));
    await expect(tauriBackend.appInfo()).rejects.toMatchObject({
      code: "internal",
      message: "command app_info not found",
    });
    commands.setAsideConfig.mockRejectedValue(new Error("ipc closed"));
    await expect(tauriBackend.setAsideConfig()).rejects.toBeInstanceOf(BackendError);
  });
});
