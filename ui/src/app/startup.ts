// How the app gets from nothing to a usable window: app info first (it carries the OS
// language, so even errors can be shown in the right language), then the settings. An
// unreadable config file is its own state, left only through `setAsideAndRestart`.

import {
  BackendError,
  isConfigUnreadable,
  type AppInfo,
  type Backend,
  type Settings,
} from "../backend/backend";

export type Startup =
  | { phase: "starting" }
  | {
      phase: "ready";
      info: AppInfo;
      settings: Settings;
      /** Where an unreadable config file was moved, when this start followed a set-aside. */
      setAsidePath: string | null;
    }
  | { phase: "config-unreadable"; info: AppInfo; error: BackendError }
  | { phase: "failed"; info: AppInfo | null; error: BackendError };

export async function start(backend: Backend): Promise<Startup> {
  let info: AppInfo;
  try {
    info = await backend.appInfo();
  } catch (thrown) {
    return { phase: "failed", info: null, error: BackendError.from(thrown) };
  }
  return loadSettings(backend, info, null);
}

/**
 * Moves the unreadable config aside and loads settings again. Rejects (and changes nothing)
 * when the move itself fails, so the caller can keep showing the config error.
 */
export async function setAsideAndRestart(backend: Backend, info: AppInfo): Promise<Startup> {
  let path: string;
  try {
    path = await backend.setAsideConfig();
  } catch (thrown) {
    throw BackendError.from(thrown);
  }
  return loadSettings(backend, info, path);
}

async function loadSettings(
  backend: Backend,
  info: AppInfo,
  setAsidePath: string | null,
): Promise<Startup> {
  try {
    const settings = await backend.loadSettings();
    return { phase: "ready", info, settings, setAsidePath };
  } catch (thrown) {
    const error = BackendError.from(thrown);
    if (isConfigUnreadable(error)) return { phase: "config-unreadable", info, error };
    return { phase: "failed", info, error };
  }
}
