// The Buckets screen's view of the core (doc/BUCKETS.md): one operation per Tauri command of
// src-tauri/app/buckets.rs. `tauriBucketAdmin` calls the generated bindings; the memory
// backend's `MemoryBucketAdmin` (memoryBucketAdmin.ts) replays the core's fixtures.

import { Channel } from "@tauri-apps/api/core";
import {
  commands,
  type BucketDetails,
  type BucketSummary,
  type CreateRequest,
  type CreatedBucket,
  type DeletedBucket,
  type DraftReview,
  type EmptyPlan,
  type EmptyProgress,
  type EmptyReport,
  type Lifecycle,
  type PolicyTemplate,
  type PublicAccess,
  type SavedPolicy,
  type SettingView,
  type TeardownPlan,
  type TeardownProgress,
  type TeardownReport,
} from "../bindings";
import { BackendError } from "../backend/backend";
import { unwrap } from "../backend/tauri";

export type {
  BucketDetails,
  BucketSummary,
  CreateRequest,
  CreatedBucket,
  DeletedBucket,
  DraftReview,
  EmptyPlan,
  EmptyProgress,
  EmptyReport,
  Lifecycle,
  PolicyTemplate,
  PublicAccess,
  SavedPolicy,
  SettingView,
  TeardownPlan,
  TeardownProgress,
  TeardownReport,
};
export type { Setting, TeardownStep, PublicCheck, FailedKey, KeptKey, RuleSummary, Versioning } from "../bindings";

/** Every call rejects with a `BackendError`. */
export interface BucketAdmin {
  list(): Promise<BucketSummary[]>;
  details(bucket: string): Promise<BucketDetails>;
  /** The regions the Create form offers, the guides' first. */
  regions(): Promise<string[]>;
  /** The core's naming rules and region check; rejects with `invalid_input` naming the rule. No call to AWS. */
  validate(request: CreateRequest): Promise<void>;
  create(request: CreateRequest): Promise<CreatedBucket>;
  /** The four settings of `access`, each with its one-line explanation. */
  explainPublicAccess(access: PublicAccess): Promise<SettingView[]>;
  /** Turning a setting off needs the bucket's name typed as `acknowledgement`. */
  setPublicAccess(bucket: string, access: PublicAccess, acknowledgement: string | null): Promise<PublicAccess>;
  /** The draft with the template's statements added (or the template alone). */
  applyTemplate(bucket: string, draft: string | null, template: PolicyTemplate, prefix: string | null): Promise<string>;
  /** The lint of a draft and the Block Public Access setting that would refuse it. No call to AWS. */
  reviewPolicy(bucket: string, draft: string, access: PublicAccess): Promise<DraftReview>;
  savePolicy(bucket: string, text: string): Promise<SavedPolicy>;
  deletePolicy(bucket: string): Promise<void>;
  addAbortRule(bucket: string, days: number): Promise<Lifecycle>;
  emptyPlan(bucket: string): Promise<EmptyPlan>;
  /** Empties the bucket (its name typed); `cancelJob` stops it, running it again continues. */
  empty(bucket: string, typed: string, onProgress: (progress: EmptyProgress) => void): Promise<EmptyReport>;
  /** Rejects with `bucket_not_empty` while anything is left in it. */
  deleteBucket(bucket: string, typed: string, removeSources: boolean): Promise<DeletedBucket>;
  teardownPlan(bucket: string, deleteUsers: boolean): Promise<TeardownPlan>;
  /** Runs the plan shown, step by step; stops at the first failure (named in the report). */
  teardown(plan: TeardownPlan, typed: string, onProgress: (progress: TeardownProgress) => void): Promise<TeardownReport>;
  /** Stops the running empty or teardown between batches. */
  cancelJob(): Promise<void>;
}

async function plain<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (thrown) {
    throw BackendError.from(thrown);
  }
}

export const tauriBucketAdmin: BucketAdmin = {
  list: () => unwrap(() => commands.bucketList()),
  details: (bucket) => unwrap(() => commands.bucketDetails(bucket)),
  regions: () => plain(() => commands.bucketRegions()),
  validate: async (request) => {
    await unwrap(() => commands.validateBucket(request));
  },
  create: (request) => unwrap(() => commands.createBucket(request)),
  explainPublicAccess: (access) => plain(() => commands.explainPublicAccess(access)),
  setPublicAccess: (bucket, access, ack) => unwrap(() => commands.setPublicAccess(bucket, access, ack)),
  applyTemplate: (bucket, draft, template, prefix) => unwrap(() => commands.applyPolicyTemplate(bucket, draft, template, prefix)),
  reviewPolicy: (bucket, draft, access) => unwrap(() => commands.reviewBucketPolicy(bucket, draft, access)),
  savePolicy: (bucket, text) => unwrap(() => commands.saveBucketPolicy(bucket, text)),
  deletePolicy: async (bucket) => {
    await unwrap(() => commands.deleteBucketPolicy(bucket));
  },
  addAbortRule: (bucket, days) => unwrap(() => commands.addAbortRule(bucket, days)),
  emptyPlan: (bucket) => unwrap(() => commands.emptyPlan(bucket)),
  empty: (bucket, typed, onProgress) => {
    const channel = new Channel<EmptyProgress>();
    channel.onmessage = onProgress;
    return unwrap(() => commands.emptyBucket(bucket, typed, channel));
  },
  deleteBucket: (bucket, typed, removeSources) => unwrap(() => commands.deleteBucket(bucket, typed, removeSources)),
  teardownPlan: (bucket, deleteUsers) => unwrap(() => commands.teardownPlan(bucket, deleteUsers)),
  teardown: (plan, typed, onProgress) => {
    const channel = new Channel<TeardownProgress>();
    channel.onmessage = onProgress;
    return unwrap(() => commands.teardownBucket(plan, typed, channel));
  },
  cancelJob: () => plain(() => commands.cancelBucketJob()),
};
