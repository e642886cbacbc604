// The `Backend` the app runs with: the generated tauri-specta commands, with their
// `Result` values turned into returned data or a thrown `BackendError`.

import { commands, type Result } from "../bindings";
import { BackendError, type ApiError, type Backend } from "./backend";

async function unwrap<T>(call: () => Promise<Result<T, ApiError>>): Promise<T> {
  let result: Result<T, ApiError>;
  try {
    result = await call();
  } catch (thrown) {
    // The bindings rethrow `Error`s (IPC failures, a command missing from the build).
    throw BackendError.from(thrown);
  }
  if (result.status === "error") throw BackendError.from(result.error);
  return result.data;
}

export const tauriBackend: Backend = {
  async appInfo() {
    try {
      return await commands.appInfo();
    } catch (thrown) {
      throw BackendError.from(thrown);
    }
  },
  loadSettings: () => unwrap(() => commands.loadSettings()),
  saveSettings: (settings) => unwrap(() => commands.saveSettings(settings)),
  setAsideConfig: () => unwrap(() => commands.setAsideConfig()),
  listSources: () => unwrap(() => commands.listSources()),
};
