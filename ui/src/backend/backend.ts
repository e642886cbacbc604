// The UI's view of the Rust core: every operation the screens need, and nothing about how
// it is carried. `tauri.ts` implements it over the generated bindings; `memory.ts` keeps
// everything in memory for tests. Screens receive a `Backend` and never call `invoke`.

import type {
  ApiError,
  AppInfo,
  Credentials,
  ErrorCode,
  ObjectDetails,
  ObjectPage,
  Settings,
  SourceInput,
  SourceSummary,
  SourceUpdate,
  VerifyReport,
  FormField,
  FieldCheck,
  AdminInfo,
  ReaderInput,
  UserInfo,
  GroupInfo,
  DeletedUser,
  PolicyAttachment,
  Template,
  GeneratedPolicy,
  ReaderPlan,
  NewAccessKey,
  ImageUrls,
  Handoff,
  HandoffField,
  ProductionCheck,
  Progress,
  UntilServed,
  RotationStatus,
  Finished,
  Cancelled,
  OldKeyFate,
  RetireChoice,
  SourceStatus,
  UploadPlan,
  PlannedFile,
  KeyProblem,
  OnCollision,
  ProgressSnapshot,
  FileProgress,
  FileState,
  UploadReport,
  UploadedFile,
  FailedFile,
  UploadRequest,
  DownloadPlan,
  DownloadItem,
  DownloadReport,
  DeletePlan,
  DeleteReport,
  KeyNotDeleted,
  UnfinishedUploads,
  UnfinishedUpload,
  AbortReport,
  WriterChoice,
  Writer,
  PathChoice,
  Comparison,
  Srcset,
} from "../bindings";
import type { CdnEndpoint } from "../sources/cdnPreview";
import type { BucketAdmin } from "../buckets/bucketAdmin";

export type { CdnEndpoint };

// Every type the core generates (src/bindings.ts) is the screens' to use from here, so no
// screen imports the generated file itself.
export type * from "../bindings";

/**
 * A failure reported by the core: `code` is what the UI branches on, `message` is already
 * in the user's language and is shown as it is.
 */
export class BackendError extends Error implements ApiError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "BackendError";
    this.code = code;
  }

  /** Anything thrown across the boundary that is not already one of ours. */
  static from(thrown: unknown): BackendError {
    if (thrown instanceof BackendError) return thrown;
    if (isApiError(thrown)) return new BackendError(thrown.code, thrown.message);
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    return new BackendError("internal", message);
  }
}

function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/** What the core accepts in `Settings` (`Settings::validate` in src-tauri/config.rs). */
export const settingsLimits = {
  cdnPort: { min: 1024, max: 65535 },
  cacheMb: { min: 16, max: 1_048_576 },
  memoryCacheMb: { min: 8, max: 16_384 },
  adminProfileLength: 128,
} as const;

/** Codes that mean the config file cannot be read and the app cannot start normally. */
export function isConfigUnreadable(error: unknown): error is BackendError {
  return (
    error instanceof BackendError &&
    (error.code === "config_corrupt" || error.code === "config_too_new")
  );
}

/** Every operation rejects with a `BackendError`, never with anything else. */
export interface Backend {
  /** The Buckets screen's operations (ui/src/buckets/bucketAdmin.ts). */
  readonly bucketAdmin: BucketAdmin;
  appInfo(): Promise<AppInfo>;
  loadSettings(): Promise<Settings>;
  /** Saves and returns the settings as the core stored them. */
  saveSettings(settings: Settings): Promise<Settings>;
  /** Moves an unreadable config file aside and returns where the old file now is. */
  setAsideConfig(): Promise<string>;
  listSources(): Promise<SourceSummary[]>;
  /** One typed value of a source form, checked by the core's rules (no call). */
  checkSourceField(field: FormField, value: string): Promise<FieldCheck>;
  /** Bucket names the key may list; rejects with `access_denied` when it may not. */
  listBuckets(creds: Credentials): Promise<string[]>;
  detectRegion(creds: Credentials, bucket: string): Promise<string>;
  /** Runs the checks with the given secret; saves nothing, writes nothing to the bucket. */
  verifySource(input: SourceInput): Promise<VerifyReport>;
  /** Verifies again, then the secret goes to the keychain and the rest to the config. */
  saveSource(input: SourceInput): Promise<SourceSummary>;
  verifySavedSource(name: string): Promise<VerifyReport>;
  updateSource(name: string, update: SourceUpdate): Promise<SourceSummary>;
  /** Removes the source and its keychain entry. */
  removeSource(name: string): Promise<void>;
  /** One page of a folder; `prefix` is relative to the BasePath. */
  listObjects(name: string, prefix: string, continuationToken: string | null): Promise<ObjectPage>;
  objectDetails(name: string, key: string): Promise<ObjectDetails>;
  presignGet(name: string, key: string, expiresSecs: number): Promise<string>;
  /** Who the admin credentials are (the sandbox's, or the profile chosen in Settings). */
  adminIdentity(): Promise<AdminInfo>;
  /** "Create a dedicated reader for me": user, policy, key → keychain, verified source. */
  createReader(input: ReaderInput): Promise<SourceSummary>;
  /** What `createReader` will attach: the policy document (as attached) and its lint findings. */
  readerPlan(input: ReaderInput): Promise<ReaderPlan>;
  /** Bucket names the admin may list (the reader path's picker); `access_denied` when not. */
  readerBuckets(): Promise<string[]>;
  /** The bucket's region, asked with the admin's credentials. */
  readerBucketRegion(bucket: string): Promise<string>;
  listIamUsers(): Promise<UserInfo[]>;
  listIamGroups(): Promise<GroupInfo[]>;
  /** Creates a user tagged `managed-by=bucketdesk`, with a policy when given. */
  createIamUser(user: string, policy: PolicyAttachment | null): Promise<void>;
  /** Deletes keys, policies, group memberships, login profile, then the user. */
  deleteIamUser(user: string, force: boolean): Promise<DeletedUser>;
  createIamGroup(group: string, policyArn: string | null): Promise<void>;
  setGroupMembership(group: string, user: string, member: boolean): Promise<void>;
  generatePolicy(template: Template, bucket: string, basePath: string): Promise<GeneratedPolicy>;
  /** Profile names in ~/.aws (config and credentials), for the admin profile picker. */
  listAwsProfiles(): Promise<string[]>;
  /** Refuses to deactivate a key a source uses unless `force`. */
  setKeyActive(key: string, active: boolean, force: boolean): Promise<void>;
  /** Deletes a key and its keychain entry; a key a source uses needs `force`. */
  deleteAccessKey(key: string, force: boolean): Promise<void>;
  /**
   * Creates a key for `user` (refused at two keys); its secret is in the keychain and in the
   * answer this once. With `bindSource`, the source is verified with it and switched to it.
   */
  createAccessKey(user: string, bindSource: string | null): Promise<NewAccessKey>;
  /** The local CDN's base URL, the token its URLs carry and the rows' thumbnail query. */
  cdnEndpoint(): Promise<CdnEndpoint>;
  /**
   * Every URL of an image with these options (`name=value` pairs as typed), made by the
   * core's one canonicalizer; rejects with `invalid_input` naming a bad option.
   */
  cdnUrls(name: string, key: string, options: [string, string][]): Promise<ImageUrls>;
  /**
   * JPEG, WebP and AVIF of an image with these options (any `f` replaced), as the local CDN
   * serves them: bytes, SSIM against the lossless render, and the core's choice (the
   * smallest with SSIM ≥ `threshold`; `null`: the core's default).
   */
  cdnCompare(name: string, key: string, options: [string, string][], threshold: number | null): Promise<Comparison>;
  /** `<img srcset>` and `<picture>` HTML with production URLs for `widths` as typed (`320,640`). */
  cdnSrcset(name: string, key: string, widths: string, options: [string, string][], sizes: string, alt: string): Promise<Srcset>;
  /** Each source's Weekerp registration and rotation in progress (no network). */
  sourceStatuses(): Promise<SourceStatus[]>;
  /** Weekerp's Add Source → Amazon S3 values, in its order; the secret only with `reveal`. */
  sourceHandoff(name: string, reveal: boolean): Promise<Handoff>;
  /** Copies the secret from the keychain to the clipboard; resolves to the seconds until it is cleared. */
  copySourceSecret(name: string): Promise<number>;
  confirmInWeekerp(name: string, registered: boolean): Promise<void>;
  checkWeekerp(name: string): Promise<ProductionCheck>;
  /** Checks until Weekerp serves the source (up to 15 minutes); `cancelWeekerpCheck` stops it. */
  checkWeekerpUntilServed(name: string, onProgress: (progress: Progress) => void): Promise<UntilServed>;
  cancelWeekerpCheck(): Promise<void>;
  /** Phase 1: a new key the source uses; the old key stays Active until Finish. */
  beginRotation(name: string, retire: RetireChoice): Promise<RotationStatus>;
  /** Phase 2; rejects with `old_key_still_used` when the old key was used after the switch, unless confirmed. */
  finishRotation(name: string, fate: OldKeyFate, confirmedUsed: boolean): Promise<Finished>;
  cancelRotation(name: string): Promise<Cancelled>;
  refreshRotationStatus(name: string): Promise<RotationStatus | null>;
  /** Opens a native dialog; resolves to the chosen paths (empty when dismissed). */
  choosePaths(kind: PathChoice): Promise<string[]>;
  /**
   * Files and folders dragged over or dropped on the window (the native drag-drop event,
   * which gives paths). Resolves to a function that stops listening.
   */
  onDroppedPaths(handler: (event: DropEvent) => void): Promise<() => void>;
  /** Who a write would run as (no network); rejects when the choice cannot write. */
  describeWriter(name: string, writer: WriterChoice): Promise<Writer>;
  /** The preview of an upload of `paths` into `prefix`: nothing is sent. */
  planUpload(name: string, paths: string[], prefix: string): Promise<UploadPlan>;
  /** Uploads, reporting progress as bytes are acknowledged; `cancelTransfer` stops it. */
  uploadFiles(name: string, request: UploadRequest, onProgress: (progress: ProgressSnapshot) => void): Promise<UploadReport>;
  /** Cancels the running upload or download (a multipart upload is aborted). */
  cancelTransfer(): Promise<void>;
  planDownload(name: string, keys: string[], prefixes: string[], dest: string): Promise<DownloadPlan>;
  /** Existing files are replaced only with `overwrite` (asked first). */
  downloadFiles(name: string, items: DownloadItem[], overwrite: boolean, onProgress: (progress: ProgressSnapshot) => void): Promise<DownloadReport>;
  /** Every key a delete of these keys and folders removes, for the confirmation. */
  planDelete(name: string, keys: string[], prefixes: string[]): Promise<DeletePlan>;
  deleteObjects(name: string, keys: string[], writer: WriterChoice): Promise<DeleteReport>;
  hasUnfinishedUploads(name: string, writer: WriterChoice): Promise<boolean>;
  listUnfinishedUploads(name: string, writer: WriterChoice): Promise<UnfinishedUploads>;
  abortUnfinishedUploads(name: string, uploads: UnfinishedUpload[], writer: WriterChoice): Promise<AbortReport>;
}

/** A native drag over the window (`over`), its end without a drop (`leave`), or a drop. */
export type DropEvent = { kind: "over" } | { kind: "leave" } | { kind: "drop"; paths: string[] };
