import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AppInfo } from "../backend/backend";
import { MemoryBackend } from "../backend/memory";
import { SANDBOX_POLL_MS, watchSandbox } from "./sandbox";

const ready = {
  state: "ready",
  endpoint: "http://127.0.0.1:4566",
  bucket: "sandbox",
  region: "us-east-1",
  profile: "sandbox-admin",
  objects: 12,
} as const;

describe("watchSandbox", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("asks every 500 ms while starting and stops once ready", async () => {
    const backend = new MemoryBackend({ info: { sandbox: { state: "starting" } } });
    const seen: AppInfo[] = [];
    watchSandbox(backend, backend.info, (info) => seen.push(info), () => {});

    await vi.advanceTimersByTimeAsync(SANDBOX_POLL_MS - 1);
    expect(backend.calls.appInfo, "no poll before 500 ms").toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(backend.calls.appInfo).toBe(1);
    await vi.advanceTimersByTimeAsync(SANDBOX_POLL_MS);
    expect(backend.calls.appInfo).toBe(2);

    backend.setSandbox(ready);
    await vi.advanceTimersByTimeAsync(SANDBOX_POLL_MS);
    expect(seen.at(-1)?.sandbox).toEqual(ready);
    await vi.advanceTimersByTimeAsync(SANDBOX_POLL_MS * 4);
    expect(backend.calls.appInfo, "no polling after the sandbox is ready").toBe(3);
  });

  it("does not poll when the sandbox is not starting", async () => {
    const backend = new MemoryBackend({ info: { sandbox: { state: "off" } } });
    watchSandbox(backend, backend.info, () => {}, () => {});
    await vi.advanceTimersByTimeAsync(SANDBOX_POLL_MS * 3);
    expect(backend.calls.appInfo).toBe(0);
  });

  it("stops when asked", async () => {
    const backend = new MemoryBackend({ info: { sandbox: { state: "starting" } } });
    const watch = watchSandbox(backend, backend.info, () => {}, () => {});
    await vi.advanceTimersByTimeAsync(SANDBOX_POLL_MS);
    watch.stop();
    await vi.advanceTimersByTimeAsync(SANDBOX_POLL_MS * 3);
    expect(backend.calls.appInfo).toBe(1);
  });

  it("reports a failed poll and stops", async () => {
    const backend = new MemoryBackend({ info: { sandbox: { state: "starting" } } });
    backend.failNext("appInfo", "internal", "gone");
    const errors: string[] = [];
    watchSandbox(backend, backend.info, () => {}, (error) => errors.push(error.message));
    await vi.advanceTimersByTimeAsync(SANDBOX_POLL_MS * 3);
    expect(errors).toEqual(["gone"]);
    expect(backend.calls.appInfo).toBe(1);
  });
});
