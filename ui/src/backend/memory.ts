// A `Backend` held in memory, for unit tests and for opening the UI in a plain browser.
// It follows the core's rules where the UI depends on them: settings are validated on save
// (the limits of `Settings::validate`), an unreadable config blocks loading and saving until
// it is set aside.

import {
  BackendError,
  settingsLimits,
  type AppInfo,
  type Backend,
  type ErrorCode,
  type SandboxState,
  type Settings,
  type SourceSummary,
} from "./backend";

export const defaultSettings: Settings = {
  language: null,
  theme: "system",
  cdnPort: 7390,
  cacheMb: 512,
  adminProfile: null,
};

export type ConfigFile = "ok" | "corrupt" | "too_new";

export interface MemoryBackendOptions {
  info?: Partial<AppInfo>;
  settings?: Settings;
  sources?: SourceSummary[];
  config?: ConfigFile;
}

type Operation = keyof Backend;

export class MemoryBackend implements Backend {
  info: AppInfo;
  settings: Settings;
  sources: SourceSummary[];
  config: ConfigFile;
  /** Paths that `setAsideConfig` has moved files to, oldest first. */
  readonly setAside: string[] = [];
  /** How often each operation was called: lets tests see what the UI asked for. */
  readonly calls: Record<Operation, number> = {
    appInfo: 0,
    loadSettings: 0,
    saveSettings: 0,
    setAsideConfig: 0,
    listSources: 0,
  };
  private readonly failures = new Map<Operation, BackendError>();

  constructor(options: MemoryBackendOptions = {}) {
    this.info = {
      version: "0.0.0-memory",
      configDir: "/memory/bucketdesk",
      osLanguage: "en",
      sandbox: { state: "off" },
      ...options.info,
    };
    this.settings = { ...(options.settings ?? defaultSettings) };
    this.sources = options.sources ?? [];
    this.config = options.config ?? "ok";
  }

  /** Makes the next call of `operation` reject with this error. */
  failNext(operation: Operation, code: ErrorCode, message: string): void {
    this.failures.set(operation, new BackendError(code, message));
  }

  setSandbox(sandbox: SandboxState): void {
    this.info = { ...this.info, sandbox };
  }

  async appInfo(): Promise<AppInfo> {
    this.enter("appInfo");
    return structuredClone(this.info);
  }

  async loadSettings(): Promise<Settings> {
    this.enter("loadSettings");
    this.requireReadableConfig();
    return { ...this.settings };
  }

  async saveSettings(settings: Settings): Promise<Settings> {
    this.enter("saveSettings");
    this.requireReadableConfig();
    const { cdnPort, cacheMb, adminProfileLength } = settingsLimits;
    if (!Number.isInteger(settings.cdnPort) || settings.cdnPort < cdnPort.min || settings.cdnPort > cdnPort.max) {
      throw new BackendError("invalid_input", `cdnPort: ${settings.cdnPort} is not between 1024 and 65535`);
    }
    if (!Number.isInteger(settings.cacheMb) || settings.cacheMb < cacheMb.min || settings.cacheMb > cacheMb.max) {
      throw new BackendError("invalid_input", `cacheMb: ${settings.cacheMb} is not between 16 and 1048576`);
    }
    const profile = settings.adminProfile;
    if (profile !== null && (profile.trim() === "" || /\s/.test(profile) || profile.length > adminProfileLength)) {
      throw new BackendError("invalid_input", `adminProfile: ${JSON.stringify(profile)} is not a profile name`);
    }
    this.settings = { ...settings };
    return { ...this.settings };
  }

  async setAsideConfig(): Promise<string> {
    this.enter("setAsideConfig");
    const path = `${this.info.configDir}/config.toml.unreadable-${this.setAside.length + 1}`;
    this.setAside.push(path);
    this.config = "ok";
    this.settings = { ...defaultSettings };
    return path;
  }

  async listSources(): Promise<SourceSummary[]> {
    this.enter("listSources");
    this.requireReadableConfig();
    return this.sources.map((source) => ({ ...source }));
  }

  private enter(operation: Operation): void {
    this.calls[operation] += 1;
    const failure = this.failures.get(operation);
    if (failure) {
      this.failures.delete(operation);
      throw failure;
    }
  }

  private requireReadableConfig(): void {
    if (this.config === "corrupt") {
      throw new BackendError(
        "config_corrupt",
        `${this.info.configDir}/config.toml is not valid: expected a table at line 3`,
      );
    }
    if (this.config === "too_new") {
      throw new BackendError(
        "config_too_new",
        `${this.info.configDir}/config.toml was written by a newer Bucketdesk`,
      );
    }
  }
}
