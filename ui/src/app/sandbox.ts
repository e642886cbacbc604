// Following the sandbox while it starts: the core reports "starting" until its local S3 + IAM
// endpoint answers, and has no event for the change yet, so the UI asks again every 500 ms.

import { BackendError, type AppInfo, type Backend } from "../backend/backend";

export const SANDBOX_POLL_MS = 500;

export interface SandboxWatch {
  stop(): void;
}

/**
 * Calls `onInfo` with fresh app info every `intervalMs` while the sandbox is starting, and
 * stops on its own once it is anything else. A failed poll is reported and ends the watch.
 */
export function watchSandbox(
  backend: Backend,
  initial: AppInfo,
  onInfo: (info: AppInfo) => void,
  onError: (error: BackendError) => void,
  intervalMs: number = SANDBOX_POLL_MS,
): SandboxWatch {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const poll = async () => {
    let info: AppInfo;
    try {
      info = await backend.appInfo();
    } catch (thrown) {
      if (!stopped) onError(BackendError.from(thrown));
      return;
    }
    if (stopped) return;
    onInfo(info);
    schedule(info);
  };

  const schedule = (info: AppInfo) => {
    if (stopped || info.sandbox.state !== "starting") return;
    timer = setTimeout(() => void poll(), intervalMs);
  };

  schedule(initial);
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
