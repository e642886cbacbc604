// A `Backend` held in memory, for unit tests and for opening the UI in a plain browser.
// Where an answer is the core's to give (the URLs of an image, generated policies, what a
// settings change or an unreadable config is told), it replays the fixtures that a Rust test
// produced from the real core (`ui/src/fixtures/`, held to the core by a drift check) instead
// of following rules of its own; a call with no scripted answer fails loudly.

import {
  BackendError,
  type AppInfo,
  type Backend,
  type ErrorCode,
  type Credentials,
  type ObjectDetails,
  type ObjectEntry,
  type ObjectPage,
  type SandboxState,
  type Settings,
  type SourceInput,
  type SourceSummary,
  type SourceUpdate,
  type VerifyReport,
  type FormField,
  type FieldCheck,
  type AdminInfo,
  type NewAccessKey,
  type CdnEndpoint,
  type ReaderInput,
  type UserInfo,
  type GroupInfo,
  type DeletedUser,
  type PolicyAttachment,
  type Template,
  type GeneratedPolicy,
  type ReaderPlan,
  type ImageUrls,
  type Language,
  type Handoff,
  type ProductionCheck,
  type Progress,
  type UntilServed,
  type RotationStatus,
  type Finished,
  type Cancelled,
  type OldKeyFate,
  type RetireChoice,
  type SourceStatus,
  type AbortReport,
  type DeletePlan,
  type DeleteReport,
  type DownloadItem,
  type DownloadPlan,
  type DownloadReport,
  type DropEvent,
  type PathChoice,
  type ProgressSnapshot,
  type UnfinishedUpload,
  type UnfinishedUploads,
  type UploadPlan,
  type UploadReport,
  type UploadRequest,
  type Writer,
  type WriterChoice,
  type Comparison,
  type Srcset,
} from "./backend";
import cdnUrlsFixture from "../fixtures/cdn-urls.json";
import cdnSrcsetFixture from "../fixtures/cdn-srcset.json";
import policiesFixture from "../fixtures/policies.json";
import settingsFixture from "../fixtures/settings.json";
import sourceFieldsFixture from "../fixtures/source-fields.json";
import { encodeSegment } from "../sources/rules";
import verifyFixture from "../fixtures/verify-reports.json";
import { MemoryBucketAdmin } from "../buckets/memoryBucketAdmin";

/** The core's default settings (`Settings::default`). */
export const defaultSettings: Settings = settingsFixture.defaults as Settings;

type ScriptedError = { code: string; message: string };

/** The fake's own stand-in for a key ID as the core masks it in the data it sends; the UI
 *  only shows what it is given (`keyIdMasked`, `maskedId`, `oldKeyMasked`). */
function masked(keyId: string): string {
  return `${keyId.slice(0, 4)}…${keyId.slice(-4)}`;
}

/** Same JSON value, whatever the order of object keys. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return (
    ka.length === kb.length &&
    ka.every((k, i) => k === kb[i] && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

function scripted(error: ScriptedError): BackendError {
  return new BackendError(error.code as ErrorCode, error.message);
}

function unscripted(call: string): BackendError {
  return new BackendError("internal", `memory backend: no scripted answer for ${call} (add the case to the Rust fixture)`);
}

export type ConfigFile = "ok" | "corrupt" | "too_new";

export interface MemoryBackendOptions {
  info?: Partial<AppInfo>;
  settings?: Settings;
  sources?: SourceSummary[];
  config?: ConfigFile;
  /** Adds this many objects under `많은 파일/` to the fake bucket (100,000 to try the list). */
  bigFolder?: number;
}

type Operation = Exclude<keyof Backend, "bucketAdmin">;

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
    checkSourceField: 0,
    listBuckets: 0,
    detectRegion: 0,
    verifySource: 0,
    saveSource: 0,
    verifySavedSource: 0,
    updateSource: 0,
    removeSource: 0,
    listObjects: 0,
    objectDetails: 0,
    presignGet: 0,
    adminIdentity: 0,
    createReader: 0,
    readerPlan: 0,
    readerBuckets: 0,
    readerBucketRegion: 0,
    listIamUsers: 0,
    listIamGroups: 0,
    createIamUser: 0,
    deleteIamUser: 0,
    createIamGroup: 0,
    setGroupMembership: 0,
    generatePolicy: 0,
    listAwsProfiles: 0,
    setKeyActive: 0,
    deleteAccessKey: 0,
    createAccessKey: 0,
    cdnEndpoint: 0,
    cdnUrls: 0,
    cdnCompare: 0,
    cdnSrcset: 0,
    sourceStatuses: 0,
    sourceHandoff: 0,
    copySourceSecret: 0,
    confirmInWeekerp: 0,
    checkWeekerp: 0,
    checkWeekerpUntilServed: 0,
    cancelWeekerpCheck: 0,
    beginRotation: 0,
    finishRotation: 0,
    cancelRotation: 0,
    refreshRotationStatus: 0,
    choosePaths: 0,
    onDroppedPaths: 0,
    describeWriter: 0,
    planUpload: 0,
    uploadFiles: 0,
    cancelTransfer: 0,
    planDownload: 0,
    downloadFiles: 0,
    planDelete: 0,
    deleteObjects: 0,
    hasUnfinishedUploads: 0,
    listUnfinishedUploads: 0,
    abortUnfinishedUploads: 0,
  };
  /**
   * Transfers: every answer is scripted by the test (the plans, reports and progress are the
   * core's to give); the fake only replays them, records what the UI asked for, and adds or
   * removes the reported keys so the listing follows.
   */
  readonly transfer = {
    dialog: {} as Partial<Record<PathChoice, string[]>>,
    uploadPlan: null as UploadPlan | null,
    uploadProgress: [] as ProgressSnapshot[],
    uploadReport: null as UploadReport | null,
    /** When set, an upload waits for this before it reports (a test cancels meanwhile). */
    uploadGate: null as Promise<void> | null,
    downloadPlan: null as DownloadPlan | null,
    downloadReport: null as DownloadReport | null,
    deletePlan: null as DeletePlan | null,
    deleteReport: null as DeleteReport | null,
    unfinished: null as UnfinishedUploads | null,
    writer: null as Writer | null,
    /** What the UI sent, newest last. */
    uploads: [] as { name: string; request: UploadRequest }[],
    downloads: [] as { items: DownloadItem[]; overwrite: boolean }[],
    deletes: [] as { keys: string[]; writer: WriterChoice }[],
    /** The selections a delete was planned for. */
    deletePlanned: [] as { keys: string[]; prefixes: string[] }[],
    aborted: [] as UnfinishedUpload[][],
    dropHandlers: [] as ((event: DropEvent) => void)[],
  };
  /** Sources the admin confirmed are in Weekerp, with the key they were confirmed with. */
  readonly inWeekerp = new Map<string, string>();
  /** Rotations waiting for Finish or Cancel, by source. */
  readonly pendingRotations = new Map<string, RotationStatus>();
  /** What "Compare formats" answers next (a test sets it; the choice in it is the core's). */
  comparison: Comparison | null = null;
  /** What "Check Weekerp" answers next (a test sets it). */
  weekerpAnswer: ProductionCheck = {
    url: "https://cdn.weekerp.com/image/…?w=64",
    verdict: { kind: "served", contentType: "image/jpeg" },
    served: true,
    message: "Weekerp serves this source.",
    fix: null,
  };
  /** What the clipboard holds (the fake's own). */
  clipboard = "";
  awsProfiles: string[] = ["default", "admin"];
  iamUsers: UserInfo[] = [];
  iamGroups: GroupInfo[] = [];
  private keyCounter = 0;
  /** Where tests' previews point (a test may serve it with a stubbed `fetch`). */
  cdn: CdnEndpoint = {
    baseUrl: cdnUrlsFixture.baseUrl,
    token: cdnUrlsFixture.token,
    thumbnailQuery: cdnUrlsFixture.thumbnailQuery,
    gridTileQuery: cdnUrlsFixture.gridTileQuery,
  };
  /**
   * The buckets the fake account has, and their keys (full keys, BasePath included): a few
   * thousand, many of them Korean with spaces, so paging and the virtual list are exercised.
   */
  buckets: Record<string, { region: string; keys: string[] }> = {
    "acme-photos": {
      region: "ap-northeast-2",
      keys: [
        ...Array.from({ length: 2500 }, (_, i) => `photos/${String(i).padStart(5, "0")}.jpg`),
        "제품 이미지/봄 컬렉션/벚꽃 사진 01.jpg",
        "제품 이미지/봄 컬렉션/벚꽃 사진 02.jpg",
        ...Array.from({ length: 1500 }, (_, i) => `제품 이미지/상품 ${String(i + 1).padStart(4, "0")} 정면.jpg`),
        "배너/메인 배너 (가을).jpg",
      ],
    },
    "acme-web": { region: "us-east-1", keys: ["assets/logo.png", "assets/아이콘 모음/홈 아이콘.svg"] },
  };
  /** Key IDs that may not call ListAllMyBuckets (like a least-privilege reader). */
  static readonly NO_LIST_PREFIX = "AKIANOLIST";
  private readonly sortedKeys = new WeakMap<string[], string[]>();
  /** Secrets by key ID: stands in for the keychain. */
  private readonly secrets = new Map<string, string>();
  private readonly failures = new Map<Operation, BackendError>();
  /** The Buckets screen's part, on this fake account and its sources. */
  readonly bucketAdmin = new MemoryBucketAdmin({
    buckets: () => this.buckets,
    sources: () => this.sources,
    removeSources: (names) => {
      this.sources = this.sources.filter((s) => !names.includes(s.name));
    },
    language: () => this.language(),
  });

  constructor(options: MemoryBackendOptions = {}) {
    this.info = {
      version: "0.0.0-memory",
      configDir: "/memory/bucketdesk",
      osLanguage: "en",
      sandbox: { state: "off" },
      defaultReaderUser: settingsFixture.defaultReaderUser,
      ...options.info,
    };
    this.settings = { ...(options.settings ?? defaultSettings) };
    this.sources = options.sources ?? [];
    this.config = options.config ?? "ok";
    if (options.bigFolder) {
      const width = String(options.bigFolder).length;
      this.buckets["acme-photos"]!.keys.push(
        ...Array.from({ length: options.bigFolder }, (_, i) => `많은 파일/파일 ${String(i + 1).padStart(width, "0")}.jpg`),
      );
    }
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
    const refusal = settingsFixture.cases.find(
      (c) => c.error !== null && sameValue(c.settings, settings) && c.language === this.language(),
    );
    if (refusal?.error) throw scripted(refusal.error);
    this.settings = { ...settings };
    return { ...this.settings };
  }

  async setAsideConfig(): Promise<string> {
    this.enter("setAsideConfig");
    const path = `${this.info.configDir}/${settingsFixture.unreadable.setAsideName}`;
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

  async checkSourceField(field: FormField, value: string): Promise<FieldCheck> {
    this.enter("checkSourceField");
    return this.fieldCheck(field, value);
  }

  /**
   * What the core said of this typed value (`ui/src/fixtures/source-fields.json`); a name is
   * looked up as taken when this fake has a source of that name.
   */
  private fieldCheck(field: FormField, value: string): FieldCheck {
    const taken = field === "name" && this.sources.some((s) => s.name === value);
    const found = sourceFieldsFixture.cases.find(
      (c) => c.field === field && c.value === value && c.taken === taken && c.language === this.language(),
    );
    if (!found) throw unscripted(`checkSourceField(${field}, ${JSON.stringify(value)})`);
    return { ...found.check };
  }

  /** The BasePath as the core saves it (from the fixture). */
  private savedBasePath(basePath: string): string {
    const check = this.fieldCheck("basePath", basePath);
    if (check.savedAs === null) throw new BackendError("invalid_input", check.problem ?? "");
    return check.savedAs;
  }

  async listBuckets(creds: Credentials): Promise<string[]> {
    this.enter("listBuckets");
    this.checkKey(creds);
    if (creds.accessKeyId.startsWith(MemoryBackend.NO_LIST_PREFIX)) {
      throw new BackendError("access_denied", "This key is not allowed s3:ListAllMyBuckets.");
    }
    return Object.keys(this.buckets);
  }

  async detectRegion(creds: Credentials, bucket: string): Promise<string> {
    this.enter("detectRegion");
    this.checkKey(creds);
    return this.bucket(bucket).region;
  }

  async verifySource(input: SourceInput): Promise<VerifyReport> {
    this.enter("verifySource");
    return this.verify(input);
  }

  async saveSource(input: SourceInput): Promise<SourceSummary> {
    this.enter("saveSource");
    const name = this.fieldCheck("name", input.name);
    if (name.problem !== null) {
      const taken = this.sources.some((s) => s.name === input.name);
      throw new BackendError(taken ? "name_taken" : "invalid_input", name.problem);
    }
    const report = this.verify(input);
    if (!report.ok) throw new BackendError("invalid_input", "Not saved: verification failed.");
    this.secrets.set(input.accessKeyId, input.secretAccessKey);
    this.keyIds.set(input.name, input.accessKeyId);
    const summary: SourceSummary = {
      name: input.name,
      bucket: input.bucket,
      region: report.region,
      basePath: this.savedBasePath(input.basePath),
      keyIdMasked: masked(input.accessKeyId),
      endpointUrl: input.endpointUrl,
      addedAt: new Date().toISOString(),
      lastVerified: { at: new Date().toISOString(), ok: true },
    };
    this.sources.push(summary);
    return { ...summary };
  }

  async verifySavedSource(name: string): Promise<VerifyReport> {
    this.enter("verifySavedSource");
    const source = this.source(name);
    const report = this.verify({
      name,
      endpointUrl: source.endpointUrl,
      region: source.region,
      bucket: source.bucket,
      basePath: source.basePath,
      accessKeyId: "AKIAMEMORY0000000000",
      secretAccessKey: "memory",
    });
    source.lastVerified = { at: new Date().toISOString(), ok: report.ok };
    return report;
  }

  async updateSource(name: string, update: SourceUpdate): Promise<SourceSummary> {
    this.enter("updateSource");
    const source = this.source(name);
    const bucket = this.fieldCheck("bucket", update.bucket);
    if (bucket.problem !== null) throw new BackendError("invalid_input", bucket.problem);
    source.basePath = this.savedBasePath(update.basePath);
    source.bucket = update.bucket;
    source.region = update.region ?? source.region;
    source.endpointUrl = update.endpointUrl;
    if (update.newKey) {
      const id = update.newKey.accessKeyId;
      source.keyIdMasked = masked(id);
    }
    source.lastVerified = null;
    return { ...source };
  }

  async removeSource(name: string): Promise<void> {
    this.enter("removeSource");
    this.source(name);
    this.sources = this.sources.filter((s) => s.name !== name);
  }

  async listObjects(name: string, prefix: string, continuationToken: string | null): Promise<ObjectPage> {
    this.enter("listObjects");
    const source = this.source(name);
    const base = source.basePath.replace(/^\/+|\/+$/g, "");
    const full = base ? `${base}/${prefix}` : prefix;
    const folders = new Set<string>();
    const objects: ObjectEntry[] = [];
    for (const key of this.sorted(this.bucket(source.bucket).keys)) {
      if (!key.startsWith(full)) continue;
      const rest = key.slice(full.length);
      const relative = base ? key.slice(base.length + 1) : key;
      const slash = rest.indexOf("/");
      if (slash >= 0) {
        folders.add(relative.slice(0, relative.length - rest.length + slash + 1));
      } else {
        objects.push(entry(relative));
      }
    }
    const start = continuationToken ? Number(continuationToken) : 0;
    const page = objects.slice(start, start + 1000);
    const next = start + 1000 < objects.length ? String(start + 1000) : null;
    return { prefix, folders: start === 0 ? [...folders] : [], objects: page, nextToken: next };
  }

  async objectDetails(name: string, key: string): Promise<ObjectDetails> {
    this.enter("objectDetails");
    this.source(name);
    return {
      ...entry(key),
      contentType: "image/jpeg",
      metadata: [],
      cdnUrl: this.productionUrl(name, key),
    };
  }

  async presignGet(name: string, key: string, expiresSecs: number): Promise<string> {
    this.enter("presignGet");
    const source = this.source(name);
    return `https://${source.bucket}.s3.amazonaws.com/${encodeURI(key)}?X-Amz-Expires=${expiresSecs}`;
  }

  async adminIdentity(): Promise<AdminInfo> {
    this.enter("adminIdentity");
    return { profile: null, sandbox: false, identity: { account: "123456789012", arn: "arn:aws:iam::123456789012:user/admin" } };
  }

  async createReader(input: ReaderInput): Promise<SourceSummary> {
    this.enter("createReader");
    const bucket = this.bucket(input.bucket);
    return this.saveSource({
      name: input.source,
      endpointUrl: null,
      region: bucket.region,
      bucket: input.bucket,
      basePath: input.basePath,
      accessKeyId: "AKIAREADER0000000001",
      secretAccessKey: "reader",
    });
  }

  /** Whether the admin may call ListAllMyBuckets (the reader path's picker). */
  adminMayList = true;

  async readerPlan(input: ReaderInput): Promise<ReaderPlan> {
    this.enter("readerPlan");
    if (input.managedReadOnly) throw unscripted("readerPlan(managedReadOnly): AWS's document comes from IAM");
    const found = policiesFixture.readerPlans.find(
      (c) =>
        c.bucket === input.bucket &&
        c.basePath === input.basePath &&
        c.user === input.user &&
        (!("language" in c) || c.language === this.language()),
    );
    if (found && "error" in found && found.error) throw scripted(found.error);
    if (found && "plan" in found && found.plan) return structuredClone(found.plan) as ReaderPlan;
    throw unscripted(`readerPlan(${input.bucket}, ${input.basePath}, ${input.user})`);
  }

  async readerBuckets(): Promise<string[]> {
    this.enter("readerBuckets");
    if (!this.adminMayList) throw new BackendError("access_denied", "s3:ListAllMyBuckets: access denied.");
    return Object.keys(this.buckets);
  }

  async readerBucketRegion(bucket: string): Promise<string> {
    this.enter("readerBucketRegion");
    return this.bucket(bucket).region;
  }

  /** The whole key ID of each source this backend saved (summaries show it masked). */
  private readonly keyIds = new Map<string, string>();

  async listIamUsers(): Promise<UserInfo[]> {
    this.enter("listIamUsers");
    return structuredClone(this.iamUsers);
  }

  async listIamGroups(): Promise<GroupInfo[]> {
    this.enter("listIamGroups");
    return structuredClone(this.iamGroups);
  }

  async createIamUser(user: string, policy: PolicyAttachment | null): Promise<void> {
    this.enter("createIamUser");
    if (this.iamUsers.some((u) => u.name === user)) throw new BackendError("internal", `AWS error EntityAlreadyExists: ${user}`);
    this.iamUsers.push({
      name: user,
      arn: `arn:aws:iam::123456789012:user/${user}`,
      created: new Date().toISOString(),
      tags: [["managed-by", "bucketdesk"]],
      groups: [],
      inlinePolicies: policy?.kind === "inline" ? [policy.name] : [],
      attachedPolicies: policy?.kind === "managed" ? [policy.arn] : [],
      keys: [],
      atKeyLimit: false,
    });
  }

  async deleteIamUser(user: string, _force: boolean): Promise<DeletedUser> {
    this.enter("deleteIamUser");
    const found = this.iamUsers.find((u) => u.name === user);
    if (!found) throw new BackendError("not_found", "There is no such access key or user.");
    this.iamUsers = this.iamUsers.filter((u) => u.name !== user);
    for (const g of this.iamGroups) g.users = g.users.filter((u) => u !== user);
    return {
      user,
      keys: found.keys.map((k) => k.accessKeyId),
      inlinePolicies: found.inlinePolicies,
      detachedPolicies: found.attachedPolicies,
      groups: found.groups,
      loginProfile: false,
    };
  }

  async createIamGroup(group: string, policyArn: string | null): Promise<void> {
    this.enter("createIamGroup");
    this.iamGroups.push({ name: group, users: [], attachedPolicies: policyArn ? [policyArn] : [] });
  }

  async setGroupMembership(group: string, user: string, member: boolean): Promise<void> {
    this.enter("setGroupMembership");
    const g = this.iamGroups.find((x) => x.name === group);
    const u = this.iamUsers.find((x) => x.name === user);
    if (!g || !u) throw new BackendError("not_found", "There is no such access key or user.");
    g.users = member ? [...new Set([...g.users, user])] : g.users.filter((x) => x !== user);
    u.groups = member ? [...new Set([...u.groups, group])] : u.groups.filter((x) => x !== group);
  }

  async generatePolicy(template: Template, bucket: string, basePath: string): Promise<GeneratedPolicy> {
    this.enter("generatePolicy");
    const found = policiesFixture.cases.find(
      (c) =>
        c.template === template &&
        c.bucket === bucket &&
        c.basePath === basePath &&
        (!("language" in c) || c.language === this.language()),
    );
    if (found && "error" in found && found.error) throw scripted(found.error);
    if (found && "policy" in found && found.policy) return structuredClone(found.policy) as GeneratedPolicy;
    throw unscripted(`generatePolicy(${template}, ${bucket}, ${basePath})`);
  }

  async setKeyActive(key: string, active: boolean, _force: boolean): Promise<void> {
    this.enter("setKeyActive");
    const found = this.iamUsers.flatMap((u) => u.keys).find((k) => k.accessKeyId === key);
    if (!found) throw new BackendError("not_found", "There is no such access key or user.");
    found.status = active ? "Active" : "Inactive";
  }

  async deleteAccessKey(key: string, _force: boolean): Promise<void> {
    this.enter("deleteAccessKey");
    const owner = this.iamUsers.find((u) => u.keys.some((k) => k.accessKeyId === key));
    const found = owner?.keys.find((k) => k.accessKeyId === key);
    if (!owner || !found) throw new BackendError("not_found", "There is no such access key or user.");
    owner.keys = owner.keys.filter((k) => k.accessKeyId !== key);
  }

  async createAccessKey(user: string, bindSource: string | null): Promise<NewAccessKey> {
    this.enter("createAccessKey");
    const owner = this.iamUsers.find((u) => u.name === user);
    if (!owner) throw new BackendError("not_found", "There is no such access key or user.");
    const source = bindSource === null ? undefined : this.sources.find((s) => s.name === bindSource);
    if (bindSource !== null && !source) throw new BackendError("not_found", `There is no source named '${bindSource}'.`);
    this.keyCounter += 1;
    const accessKeyId = `AKIANEW${String(this.keyCounter).padStart(13, "0")}`;
    const secretAccessKey = `memory/secret/${accessKeyId}/0000000000000000`;
    this.secrets.set(accessKeyId, secretAccessKey);
    owner.keys.push({
      // The core masks the ID for lists (`maskedId`); the fake shows it whole.
      accessKeyId, maskedId: accessKeyId, user, status: "Active", created: null, ageDays: 0, lastUsed: null, lastUsedService: null,
      sources: source ? [source.name] : [],
    });
    if (source) {
      for (const k of owner.keys) k.sources = k.sources.filter((s) => s !== source.name || k.accessKeyId === accessKeyId);
      source.keyIdMasked = masked(accessKeyId);
    }
    return { accessKeyId, user, secretAccessKey, boundSource: source?.name ?? null };
  }

  async cdnEndpoint(): Promise<CdnEndpoint> {
    this.enter("cdnEndpoint");
    return { ...this.cdn };
  }

  async cdnUrls(name: string, key: string, options: [string, string][]): Promise<ImageUrls> {
    this.enter("cdnUrls");
    this.source(name);
    const found = cdnUrlsFixture.cases.find(
      (c) => c.source === name && c.key === key && sameValue(c.options, options),
    );
    if (found) return { ...found.urls };
    const refusal = cdnUrlsFixture.errors.find((c) => sameValue(c.options, options) && c.language === this.language());
    if (refusal) throw scripted(refusal.error);
    throw unscripted(`cdnUrls(${name}, ${key}, ${JSON.stringify(options)})`);
  }

  async cdnCompare(name: string, key: string, options: [string, string][], threshold: number | null): Promise<Comparison> {
    this.enter("cdnCompare");
    this.source(name);
    if (!this.comparison) throw unscripted(`cdnCompare(${name}, ${key}, ${JSON.stringify(options)}, ${threshold})`);
    return structuredClone(this.comparison);
  }

  async cdnSrcset(name: string, key: string, widths: string, options: [string, string][], sizes: string, alt: string): Promise<Srcset> {
    this.enter("cdnSrcset");
    this.source(name);
    const request = { source: name, key, widths, options, sizes, alt };
    const found = cdnSrcsetFixture.cases.find((c) => sameValue(c.request, request));
    if (found && "html" in found && found.html) return structuredClone(found.html);
    const refusal = cdnSrcsetFixture.cases.find((c) => sameValue(c.request, request) && c.language === this.language());
    if (refusal && "error" in refusal && refusal.error) throw scripted(refusal.error);
    throw unscripted(`cdnSrcset(${JSON.stringify(request)})`);
  }

  async sourceStatuses(): Promise<SourceStatus[]> {
    this.enter("sourceStatuses");
    return this.sources.map((s) => ({
      name: s.name,
      inWeekerp: this.inWeekerp.get(s.name) === this.keyId(s.name),
      rotation: structuredClone(this.pendingRotations.get(s.name) ?? null),
    }));
  }

  async sourceHandoff(name: string, reveal: boolean): Promise<Handoff> {
    this.enter("sourceHandoff");
    const source = this.source(name);
    const key = this.keyId(name);
    const secret = reveal ? (this.secrets.get(key) ?? "memory/secret") : null;
    const field = (id: Handoff["fields"][number]["id"], label: string, value: string | null) => ({ id, label, value, secret: id === "secretAccessKey" });
    return {
      source: name,
      fields: [
        field("region", "Region", source.region),
        field("accessKeyId", "Access Key ID", key),
        field("secretAccessKey", "Secret Access Key", secret),
        field("bucketName", "Bucket Name", source.bucket),
        field("basePath", "BasePath", source.basePath),
        field("uniqueIdentifier", "unique identifier", name),
      ],
      registered: this.inWeekerp.get(name) === key,
      registration: null,
    };
  }

  async copySourceSecret(name: string): Promise<number> {
    this.enter("copySourceSecret");
    this.source(name);
    this.clipboard = this.secrets.get(this.keyId(name)) ?? "memory/secret";
    return 30;
  }

  async confirmInWeekerp(name: string, registered: boolean): Promise<void> {
    this.enter("confirmInWeekerp");
    this.source(name);
    if (registered) this.inWeekerp.set(name, this.keyId(name));
    else this.inWeekerp.delete(name);
  }

  async checkWeekerp(name: string): Promise<ProductionCheck> {
    this.enter("checkWeekerp");
    this.source(name);
    return structuredClone(this.weekerpAnswer);
  }

  async checkWeekerpUntilServed(name: string, onProgress: (progress: Progress) => void): Promise<UntilServed> {
    this.enter("checkWeekerpUntilServed");
    this.source(name);
    const check = structuredClone(this.weekerpAnswer);
    onProgress({ attempt: 1, elapsedSecs: 0, limitSecs: 900, last: check });
    return check.served ? { kind: "served", check, attempts: 1 } : { kind: "gaveUp", check, attempts: 1 };
  }

  async cancelWeekerpCheck(): Promise<void> {
    this.enter("cancelWeekerpCheck");
  }

  async beginRotation(name: string, retire: RetireChoice): Promise<RotationStatus> {
    this.enter("beginRotation");
    const source = this.source(name);
    void retire;
    this.rotationCount += 1;
    const newKey = `AKIAROTATED00000000${this.rotationCount}`;
    const status: RotationStatus = {
      source: name, sources: [name], user: "reader", oldKey: this.keyId(name), newKey,
      oldKeyMasked: masked(this.keyId(name)), newKeyMasked: masked(newKey), state: "awaiting_weekerp",
      oldKeyLastUsed: null, lastUsedReadAt: new Date().toISOString(), switchedAt: new Date().toISOString(), deleteAfter: null,
    };
    this.pendingRotations.set(name, status);
    this.secrets.set(newKey, `memory/secret/${newKey}`);
    this.keyIds.set(name, newKey);
    source.keyIdMasked = masked(newKey);
    return structuredClone(status);
  }

  async finishRotation(name: string, fate: OldKeyFate, confirmedUsed: boolean): Promise<Finished> {
    this.enter("finishRotation");
    const status = this.pendingRotations.get(name);
    if (!status) throw new BackendError("not_found", `No rotation of ${name} is in progress.`);
    void confirmedUsed;
    this.pendingRotations.delete(name);
    const oldKeyState = fate.kind === "deleteNow" ? "deleted" : fate.kind === "deleteAfter" ? "inactive_until_deleted" : "inactive";
    return { source: name, sources: status.sources, oldKey: status.oldKey, newKey: status.newKey ?? "", oldKeyState, deleteAfter: null };
  }

  async cancelRotation(name: string): Promise<Cancelled> {
    this.enter("cancelRotation");
    const status = this.pendingRotations.get(name);
    if (!status) throw new BackendError("not_found", `No rotation of ${name} is in progress.`);
    this.pendingRotations.delete(name);
    this.keyIds.set(name, status.oldKey);
    this.source(name).keyIdMasked = masked(status.oldKey);
    return { source: name, sources: status.sources, oldKey: status.oldKey, oldKeyMasked: status.oldKeyMasked, deletedKey: status.newKey };
  }

  async refreshRotationStatus(name: string): Promise<RotationStatus | null> {
    this.enter("refreshRotationStatus");
    return structuredClone(this.pendingRotations.get(name) ?? null);
  }

  private rotationCount = 0;

  private keyId(name: string): string {
    return this.keyIds.get(name) ?? "AKIAMEMORY0000000000";
  }

  /** The language the core would answer in: the user's choice, else the OS's. */
  private language(): Language {
    return this.settings.language ?? this.info.osLanguage;
  }

  async listAwsProfiles(): Promise<string[]> {
    this.enter("listAwsProfiles");
    return [...this.awsProfiles];
  }

  private checkKey(creds: Credentials): void {
    if (!creds.accessKeyId.startsWith("AKIA")) {
      throw new BackendError("unknown_key", "This Access Key ID does not exist (deleted, or copied wrong).");
    }
  }

  /** The keys in S3's order (UTF-8 bytes, which for these keys is code unit order), sorted once. */
  private sorted(keys: string[]): string[] {
    let sorted = this.sortedKeys.get(keys);
    if (!sorted || sorted.length !== keys.length) {
      sorted = [...keys].sort();
      this.sortedKeys.set(keys, sorted);
    }
    return sorted;
  }

  private bucket(name: string): { region: string; keys: string[] } {
    const bucket = this.buckets[name];
    if (!bucket) throw new BackendError("no_such_bucket", "There is no such bucket.");
    return bucket;
  }

  private source(name: string): SourceSummary {
    const source = this.sources.find((s) => s.name === name);
    if (!source) throw new BackendError("not_found", `There is no source named '${name}'.`);
    return source;
  }

  /**
   * The core's report for the class of outcome this input scripts (a secret `wrong`, a key ID
   * not starting `AKIA`, a bucket the fake account lacks, an empty BasePath), from
   * `ui/src/fixtures/verify-reports.json`; the bucket's region, the sample and its URL are
   * this fake account's.
   */
  private verify(input: SourceInput): VerifyReport {
    const bucket = this.buckets[input.bucket];
    const base = this.savedBasePath(input.basePath).replace(/^\//, "");
    const sample = bucket ? (this.sorted(bucket.keys).find((k) => k.startsWith(base ? `${base}/` : "")) ?? null) : null;
    const relative = sample && base ? sample.slice(base.length + 1) : sample;
    const outcome: keyof typeof verifyFixture = !input.accessKeyId.startsWith("AKIA")
      ? "unknown_key"
      : input.secretAccessKey === "wrong"
        ? "wrong_secret"
        : !bucket
          ? "no_such_bucket"
          : !sample
            ? "nothing_under_base_path"
            : "ok";
    const report = structuredClone(verifyFixture[outcome][this.language()]) as VerifyReport;
    if (bucket) {
      report.region = bucket.region;
      report.regionCorrected = input.region !== null && input.region !== bucket.region;
    }
    report.sampleKey = report.ok ? relative : null;
    report.cdnUrl = report.ok && relative ? this.productionUrl(input.name, relative) : null;
    return report;
  }

  /**
   * An original's production URL: this name's URL prefix as the core gave it, and the key's
   * segments encoded by `encodeSegment` (which the URL fixture holds to the core's
   * `encode_segment`, `cdnPreview.test.ts`).
   */
  private productionUrl(name: string, key: string): string {
    const prefix = this.fieldCheck("name", name).urlPrefix;
    if (!prefix) throw unscripted(`objectDetails(${name}, ${key})`);
    return `${prefix}${key.replace(/^\/+/, "").split("/").map(encodeSegment).join("/")}`;
  }

  async choosePaths(kind: PathChoice): Promise<string[]> {
    this.enter("choosePaths");
    return [...(this.transfer.dialog[kind] ?? [])];
  }

  async onDroppedPaths(handler: (event: DropEvent) => void): Promise<() => void> {
    this.enter("onDroppedPaths");
    this.transfer.dropHandlers.push(handler);
    return () => {
      this.transfer.dropHandlers = this.transfer.dropHandlers.filter((h) => h !== handler);
    };
  }

  /** What the window's drag-drop event would deliver (tests call it). */
  drop(event: DropEvent): void {
    for (const handler of this.transfer.dropHandlers) handler(event);
  }

  async describeWriter(name: string, writer: WriterChoice): Promise<Writer> {
    this.enter("describeWriter");
    this.source(name);
    if (this.transfer.writer) return structuredClone(this.transfer.writer);
    throw unscripted(`describeWriter(${name}, ${JSON.stringify(writer)})`);
  }

  async planUpload(name: string, paths: string[], prefix: string): Promise<UploadPlan> {
    this.enter("planUpload");
    this.source(name);
    if (this.transfer.uploadPlan) return structuredClone(this.transfer.uploadPlan);
    throw unscripted(`planUpload(${name}, ${JSON.stringify(paths)}, ${prefix})`);
  }

  async uploadFiles(name: string, request: UploadRequest, onProgress: (progress: ProgressSnapshot) => void): Promise<UploadReport> {
    this.enter("uploadFiles");
    const source = this.source(name);
    this.transfer.uploads.push({ name, request: structuredClone(request) });
    const report = this.transfer.uploadReport;
    if (!report) throw unscripted(`uploadFiles(${name})`);
    for (const snapshot of this.transfer.uploadProgress) onProgress(structuredClone(snapshot));
    if (this.transfer.uploadGate) await this.transfer.uploadGate;
    const keys = this.bucket(source.bucket).keys;
    for (const done of report.uploaded) if (!keys.includes(done.key)) keys.push(done.key);
    return structuredClone(report);
  }

  async cancelTransfer(): Promise<void> {
    this.enter("cancelTransfer");
  }

  async planDownload(name: string, keys: string[], prefixes: string[], dest: string): Promise<DownloadPlan> {
    this.enter("planDownload");
    this.source(name);
    if (this.transfer.downloadPlan) return structuredClone(this.transfer.downloadPlan);
    throw unscripted(`planDownload(${name}, ${JSON.stringify(keys)}, ${JSON.stringify(prefixes)}, ${dest})`);
  }

  async downloadFiles(name: string, items: DownloadItem[], overwrite: boolean, onProgress: (progress: ProgressSnapshot) => void): Promise<DownloadReport> {
    this.enter("downloadFiles");
    this.source(name);
    this.transfer.downloads.push({ items: structuredClone(items), overwrite });
    const report = this.transfer.downloadReport;
    if (!report) throw unscripted(`downloadFiles(${name})`);
    for (const snapshot of this.transfer.uploadProgress) onProgress(structuredClone(snapshot));
    return structuredClone(report);
  }

  async planDelete(name: string, keys: string[], prefixes: string[]): Promise<DeletePlan> {
    this.enter("planDelete");
    this.source(name);
    this.transfer.deletePlanned.push({ keys: [...keys], prefixes: [...prefixes] });
    if (this.transfer.deletePlan) return structuredClone(this.transfer.deletePlan);
    throw unscripted(`planDelete(${name}, ${JSON.stringify(keys)}, ${JSON.stringify(prefixes)})`);
  }

  async deleteObjects(name: string, keys: string[], writer: WriterChoice): Promise<DeleteReport> {
    this.enter("deleteObjects");
    const source = this.source(name);
    this.transfer.deletes.push({ keys: [...keys], writer: structuredClone(writer) });
    const report = this.transfer.deleteReport;
    if (!report) throw unscripted(`deleteObjects(${name})`);
    const failed = new Set(report.failed.map((f) => f.key));
    const base = source.basePath.replace(/^\/+|\/+$/g, "");
    const gone = new Set(keys.filter((k) => !failed.has(k)).map((k) => (base ? `${base}/${k}` : k)));
    const bucket = this.bucket(source.bucket);
    bucket.keys = bucket.keys.filter((k) => !gone.has(k));
    return structuredClone(report);
  }

  async hasUnfinishedUploads(name: string, _writer: WriterChoice): Promise<boolean> {
    this.enter("hasUnfinishedUploads");
    this.source(name);
    return (this.transfer.unfinished?.uploads.length ?? 0) > 0;
  }

  async listUnfinishedUploads(name: string, writer: WriterChoice): Promise<UnfinishedUploads> {
    this.enter("listUnfinishedUploads");
    this.source(name);
    if (this.transfer.unfinished) return structuredClone(this.transfer.unfinished);
    throw unscripted(`listUnfinishedUploads(${name}, ${JSON.stringify(writer)})`);
  }

  async abortUnfinishedUploads(name: string, uploads: UnfinishedUpload[], _writer: WriterChoice): Promise<AbortReport> {
    this.enter("abortUnfinishedUploads");
    this.source(name);
    this.transfer.aborted.push(structuredClone(uploads));
    const ids = new Set(uploads.map((u) => u.uploadId));
    const listed = this.transfer.unfinished;
    if (listed) {
      listed.uploads = listed.uploads.filter((u) => !ids.has(u.uploadId));
      listed.bytes = listed.uploads.reduce((sum, u) => sum + u.bytes, 0);
      listed.monthlyCostUsd = listed.uploads.reduce((sum, u) => sum + u.monthlyCostUsd, 0);
    }
    return { aborted: structuredClone(uploads), failed: [] };
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
    if (this.config === "ok") return;
    const messages = settingsFixture.unreadable[this.config];
    throw scripted(messages[this.language()]);
  }
}

function entry(key: string): ObjectEntry {
  return {
    key,
    name: key.split("/").pop() ?? key,
    size: 123_456,
    lastModified: "2026-11-01T00:00:00Z",
    etag: '"0123456789abcdef"',
    storageClass: "STANDARD",
  };
}
