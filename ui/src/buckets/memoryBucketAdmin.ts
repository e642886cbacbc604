// The Buckets part of the memory backend: a fake account's bucket settings held in memory.
// What is the core's to say (naming rules, the Block Public Access explanations, policy
// templates and reviews, the words of a refusal) is replayed from ui/src/fixtures/buckets.json,
// which tests/it/fixtures.rs writes from the real core; a question the fixture has no answer
// for fails loudly instead of being answered by a rule of the fake's own.

import { BackendError, type ErrorCode, type Language, type SourceSummary } from "../backend/backend";
import fixture from "../fixtures/buckets.json";
import type {
  BucketAdmin,
  BucketDetails,
  BucketSummary,
  CreateRequest,
  CreatedBucket,
  DeletedBucket,
  DraftReview,
  EmptyPlan,
  EmptyProgress,
  EmptyReport,
  FailedKey,
  Lifecycle,
  PolicyTemplate,
  PublicAccess,
  PublicCheck,
  SavedPolicy,
  SettingView,
  TeardownPlan,
  TeardownProgress,
  TeardownReport,
  Versioning,
} from "./bucketAdmin";

/** What the memory backend shares with this part: its fake account and its sources. */
export interface MemoryAccount {
  buckets(): Record<string, { region: string; keys: string[] }>;
  sources(): SourceSummary[];
  removeSources(names: string[]): void;
  language(): Language;
}

/** A fake bucket's settings and what, beside its keys, emptying finds in it. */
export interface FakeBucket {
  created: string;
  publicAccess: PublicAccess;
  policy: string | null;
  versioning: Versioning;
  lifecycle: Lifecycle;
  olderVersions: number;
  deleteMarkers: number;
  uploads: number;
  /** Versions under compliance-mode Object Lock (emptying is refused while any exist). */
  compliance: number;
}

export const ALL_ON: PublicAccess = { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true };
export const ALL_OFF: PublicAccess = { blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: false };
const SIZE = 123_456;

type ErrorKind = keyof typeof fixture.errors;

function same(a: PublicAccess, b: PublicAccess): boolean {
  return (Object.keys(a) as (keyof PublicAccess)[]).every((k) => a[k] === b[k]);
}

function unscripted(call: string): BackendError {
  return new BackendError("internal", `memory backend: no scripted answer for ${call} (add the case to the Rust fixture)`);
}

export class MemoryBucketAdmin implements BucketAdmin {
  /** Settings by bucket; a bucket of the account without an entry gets the defaults. */
  readonly state = new Map<string, FakeBucket>();
  /** Names another AWS account owns (S3 answers BucketAlreadyExists). */
  readonly takenElsewhere = new Set<string>(["my-images"]);
  /** Keys S3 refuses to delete (AccessDenied), listed in the empty report. */
  readonly refuseKeys = new Set<string>();
  /** Awaited after each delete batch while set: lets a test press Cancel half-way. */
  gate: Promise<void> | null = null;
  /** The teardown step (by index) that fails, with S3's message. */
  failStep: { index: number; message: string } | null = null;
  /** The teardown plan the core would make, by bucket (a test scripts it). */
  readonly teardownPlans = new Map<string, TeardownPlan>();
  /** What "is it public?" answers after a save. */
  publicCheck: PublicCheck = { policyStatusPublic: true, unsignedGet: { outcome: "readable", key: "photos/00000.jpg" } };
  /** The acknowledgements `setPublicAccess` was given, in order. Whether one is needed and
   * whether it matches is the core's decision (tests/it/buckets.rs); a test asserts what the
   * screen sent. */
  readonly acknowledgements: (string | null)[] = [];
  /** The typed confirmations empty, delete and teardown were given, in order (checked by the
   * core, not here). */
  readonly confirmations: { call: "empty" | "deleteBucket" | "teardown"; typed: string }[] = [];
  private cancelled = false;

  constructor(private readonly account: MemoryAccount) {}

  /** The fake bucket's settings (created with the defaults on first use). */
  bucket(name: string): FakeBucket {
    if (!this.account.buckets()[name]) throw new BackendError("no_such_bucket", "There is no such bucket.");
    const known = this.state.get(name);
    if (known) return known;
    const found: FakeBucket = {
        created: "2026-01-15T09:30:00Z",
        publicAccess: { ...ALL_ON },
        policy: null,
        versioning: "off",
        lifecycle: { rules: [], abortIncompleteMultipartAfterDays: null },
        olderVersions: 0,
        deleteMarkers: 0,
        uploads: 0,
        compliance: 0,
      };
    this.state.set(name, found);
    return found;
  }

  private said(kind: ErrorKind, values: Record<string, string | number>): BackendError {
    const error = fixture.errors[kind][this.account.language()];
    let message = error.message;
    for (const [name, value] of Object.entries(values)) message = message.replaceAll(`{${name}}`, String(value));
    return new BackendError(error.code as ErrorCode, message);
  }

  private review(bucket: string, draft: string, access: PublicAccess): DraftReview {
    const found = fixture.reviews.find(
      (r) => r.bucket === bucket && r.draft === draft && same(r.access, access) && r.language === this.account.language(),
    );
    if (!found) throw unscripted(`reviewPolicy(${bucket}, ${JSON.stringify(draft).slice(0, 60)}…)`);
    if (found.error) throw new BackendError(found.error.code as ErrorCode, found.error.message);
    return structuredClone(found.review) as DraftReview;
  }

  private summary(name: string): BucketSummary {
    const b = this.bucket(name);
    return {
      name,
      region: this.account.buckets()[name]!.region,
      created: b.created,
      publicAccess: { ...b.publicAccess },
      publicByPolicy: b.policy !== null && this.review(name, b.policy, ALL_OFF).review.public,
      versioning: b.versioning,
      hasUnfinishedUploads: b.uploads > 0,
      sources: this.account.sources().filter((s) => s.bucket === name).map((s) => s.name),
      unreadable: [],
    };
  }

  async list(): Promise<BucketSummary[]> {
    return Object.keys(this.account.buckets()).sort().map((name) => this.summary(name));
  }

  async details(bucket: string): Promise<BucketDetails> {
    const b = this.bucket(bucket);
    return {
      summary: this.summary(bucket),
      policy: b.policy === null ? null : { text: b.policy, review: this.review(bucket, b.policy, ALL_OFF).review },
      lifecycle: structuredClone(b.lifecycle),
      objectLock: { enabled: b.compliance > 0, defaultMode: b.compliance > 0 ? "COMPLIANCE" : null, defaultDays: b.compliance > 0 ? 365 : null, defaultYears: null },
    };
  }

  async regions(): Promise<string[]> {
    return [...fixture.regions];
  }

  async validate(request: CreateRequest): Promise<void> {
    if (!fixture.regions.includes(request.region)) throw unscripted(`validate(region ${request.region})`);
    const found = fixture.names.find((n) => n.name === request.name && n.language === this.account.language());
    if (!found) throw unscripted(`validate(${request.name})`);
    if (found.error) throw new BackendError(found.error.code as ErrorCode, found.error.message);
  }

  async create(request: CreateRequest): Promise<CreatedBucket> {
    await this.validate(request);
    const name = request.name;
    if (this.account.buckets()[name]) throw this.said("alreadyOwnedByYou", { bucket: name });
    if (this.takenElsewhere.has(name)) throw this.said("alreadyExists", { bucket: name });
    this.account.buckets()[name] = { region: request.region, keys: [] };
    const b = this.bucket(name);
    b.created = new Date().toISOString();
    const protect = request.blockPublicAccess ?? true;
    b.publicAccess = protect ? { ...ALL_ON } : { ...ALL_OFF };
    const days = request.abortMultipartAfterDays === undefined ? fixture.defaultAbortDays : request.abortMultipartAfterDays;
    if (days !== null) this.pushAbortRule(b, days);
    return { name, region: request.region, publicAccess: { ...b.publicAccess }, abortMultipartAfterDays: days };
  }

  private pushAbortRule(b: FakeBucket, days: number): void {
    b.lifecycle.rules.push({
      id: "bucketdesk-abort-incomplete-multipart",
      enabled: true,
      prefix: "",
      abortIncompleteMultipartAfterDays: days,
      expirationDays: null,
      noncurrentExpirationDays: null,
      transitions: 0,
    });
    b.lifecycle.abortIncompleteMultipartAfterDays = days;
  }

  async explainPublicAccess(access: PublicAccess): Promise<SettingView[]> {
    return fixture.publicAccess[this.account.language()].map((view) => ({
      ...(view as SettingView),
      on: access[view.setting as keyof PublicAccess],
    }));
  }

  async setPublicAccess(bucket: string, access: PublicAccess, acknowledgement: string | null): Promise<PublicAccess> {
    const b = this.bucket(bucket);
    this.acknowledgements.push(acknowledgement);
    b.publicAccess = { ...access };
    return { ...access };
  }

  async applyTemplate(bucket: string, draft: string | null, template: PolicyTemplate, prefix: string | null): Promise<string> {
    const found = fixture.templates.find(
      (c) => c.bucket === bucket && c.draft === draft && c.template === template && c.prefix === prefix,
    );
    if (!found) throw unscripted(`applyTemplate(${bucket}, ${template}, ${prefix})`);
    return found.text;
  }

  async reviewPolicy(bucket: string, draft: string, access: PublicAccess): Promise<DraftReview> {
    return this.review(bucket, draft, access);
  }

  async savePolicy(bucket: string, text: string): Promise<SavedPolicy> {
    const b = this.bucket(bucket);
    const draft = this.review(bucket, text, b.publicAccess);
    if (draft.blockedBy) throw this.said("blockedByPublicAccess", { bucket });
    b.policy = text;
    return { review: draft.review, withoutEffectBecause: draft.withoutEffectBecause, check: structuredClone(this.publicCheck) };
  }

  async deletePolicy(bucket: string): Promise<void> {
    this.bucket(bucket).policy = null;
  }

  async addAbortRule(bucket: string, days: number): Promise<Lifecycle> {
    const b = this.bucket(bucket);
    if (b.lifecycle.abortIncompleteMultipartAfterDays === null) this.pushAbortRule(b, days);
    return structuredClone(b.lifecycle);
  }

  async emptyPlan(bucket: string): Promise<EmptyPlan> {
    const b = this.bucket(bucket);
    const keys = this.account.buckets()[bucket]!.keys;
    return {
      bucket,
      region: this.account.buckets()[bucket]!.region,
      objects: keys.length,
      olderVersions: b.olderVersions,
      deleteMarkers: b.deleteMarkers,
      unfinishedUploads: b.uploads,
      bytes: (keys.length + b.olderVersions) * SIZE,
      objectLock: (await this.details(bucket)).objectLock,
      locked: { compliance: b.compliance, governance: 0, legalHolds: 0, complianceUntil: b.compliance ? "2027-06-01T00:00:00Z" : null },
      canRun: b.compliance === 0,
    };
  }

  async empty(bucket: string, typed: string, onProgress: (progress: EmptyProgress) => void): Promise<EmptyReport> {
    this.confirmations.push({ call: "empty", typed });
    return this.emptyNow(bucket, onProgress);
  }

  private async emptyNow(bucket: string, onProgress: (progress: EmptyProgress) => void): Promise<EmptyReport> {
    const b = this.bucket(bucket);
    const held = this.account.buckets()[bucket]!;
    this.cancelled = false;
    const progress: EmptyProgress = { deleted: 0, bytesDeleted: 0, uploadsAborted: 0, failed: 0 };
    const failed: FailedKey[] = [];
    const versions = b.olderVersions + b.deleteMarkers;
    progress.deleted += versions;
    b.olderVersions = 0;
    b.deleteMarkers = 0;
    let kept: string[] = [];
    while (held.keys.length > kept.length && !this.cancelled) {
      const batch = held.keys.filter((k) => !kept.includes(k)).slice(0, 1000);
      const refused = batch.filter((k) => this.refuseKeys.has(k));
      kept = [...kept, ...refused];
      held.keys = held.keys.filter((k) => !batch.includes(k) || refused.includes(k));
      for (const key of refused) failed.push({ key, versionId: null, uploadId: null, code: "AccessDenied", message: "Access Denied" });
      progress.deleted += batch.length - refused.length;
      progress.bytesDeleted += (batch.length - refused.length) * SIZE;
      progress.failed = failed.length;
      onProgress({ ...progress });
      if (this.gate) await this.gate;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (!this.cancelled) {
      progress.uploadsAborted = b.uploads;
      b.uploads = 0;
      onProgress({ ...progress });
    }
    const cancelled = this.cancelled;
    return {
      bucket,
      deleted: progress.deleted,
      bytesDeleted: progress.bytesDeleted,
      uploadsAborted: progress.uploadsAborted,
      failed,
      cancelled,
      verifiedEmpty: !cancelled && held.keys.length === 0,
    };
  }

  async deleteBucket(bucket: string, typed: string, removeSources: boolean): Promise<DeletedBucket> {
    this.confirmations.push({ call: "deleteBucket", typed });
    return this.deleteNow(bucket, removeSources);
  }

  private deleteNow(bucket: string, removeSources: boolean): DeletedBucket {
    const b = this.bucket(bucket);
    const keys = this.account.buckets()[bucket]!.keys.length;
    if (keys + b.olderVersions + b.deleteMarkers > 0 || b.uploads > 0) {
      throw this.said("notEmpty", { bucket, versions: keys + b.olderVersions + b.deleteMarkers, uploads: b.uploads });
    }
    delete this.account.buckets()[bucket];
    this.state.delete(bucket);
    const using = this.account.sources().filter((s) => s.bucket === bucket).map((s) => s.name);
    if (removeSources) this.account.removeSources(using);
    return { bucket, removedSources: removeSources ? using : [], orphanedSources: removeSources ? [] : using };
  }

  async teardownPlan(bucket: string, deleteUsers: boolean): Promise<TeardownPlan> {
    // Which keys and users go is the core's decision (tests/it/buckets.rs): a test scripts
    // the plan; the fake only carries it out.
    const plan = this.teardownPlans.get(bucket);
    if (!plan) throw unscripted(`teardownPlan(${bucket})`);
    return { ...structuredClone(plan), deleteUsers };
  }

  async teardown(plan: TeardownPlan, typed: string, onProgress: (progress: TeardownProgress) => void): Promise<TeardownReport> {
    this.confirmations.push({ call: "teardown", typed });
    const report: TeardownReport = { bucket: plan.bucket, done: [], failed: null, empty: null };
    for (const [index, step] of plan.steps.entries()) {
      onProgress({ index, step, empty: null });
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (this.failStep?.index === index) {
        report.failed = { step, code: "access_denied", message: this.failStep.message };
        break;
      }
      if (step.step === "empty") {
        report.empty = await this.emptyNow(plan.bucket, (p) => onProgress({ index, step, empty: p }));
      } else if (step.step === "deleteBucket") {
        this.deleteNow(plan.bucket, false);
      } else if (step.step === "removeSource") {
        this.account.removeSources([step.name]);
      }
      report.done.push(step);
    }
    return report;
  }

  async cancelJob(): Promise<void> {
    this.cancelled = true;
  }
}
