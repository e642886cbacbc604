// The `Backend` the app runs with: the generated tauri-specta commands, with their
// `Result` values turned into returned data or a thrown `BackendError`.

import { Channel } from "@tauri-apps/api/core";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { commands, type Progress, type ProgressSnapshot, type Result } from "../bindings";
import { BackendError, type ApiError, type Backend } from "./backend";
import { tauriBucketAdmin } from "../buckets/bucketAdmin";

export async function unwrap<T>(call: () => Promise<Result<T, ApiError>>): Promise<T> {
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
  bucketAdmin: tauriBucketAdmin,
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
  checkSourceField: (field, value) => unwrap(() => commands.checkSourceField(field, value)),
  listBuckets: (creds) => unwrap(() => commands.listBuckets(creds)),
  detectRegion: (creds, bucket) => unwrap(() => commands.detectRegion(creds, bucket)),
  verifySource: (input) => unwrap(() => commands.verifySource(input)),
  saveSource: (input) => unwrap(() => commands.saveSource(input)),
  verifySavedSource: (name) => unwrap(() => commands.verifySavedSource(name)),
  updateSource: (name, update) => unwrap(() => commands.updateSource(name, update)),
  removeSource: async (name) => {
    await unwrap(() => commands.removeSource(name));
  },
  listObjects: (name, prefix, token) => unwrap(() => commands.listObjects(name, prefix, token)),
  objectDetails: (name, key) => unwrap(() => commands.objectDetails(name, key)),
  presignGet: (name, key, expiresSecs) => unwrap(() => commands.presignGet(name, key, expiresSecs)),
  adminIdentity: () => unwrap(() => commands.adminIdentity()),
  createReader: (input) => unwrap(() => commands.createReader(input)),
  readerPlan: (input) => unwrap(() => commands.readerPlan(input)),
  readerBuckets: () => unwrap(() => commands.readerBuckets()),
  readerBucketRegion: (bucket) => unwrap(() => commands.readerBucketRegion(bucket)),
  listIamUsers: () => unwrap(() => commands.listIamUsers()),
  listIamGroups: () => unwrap(() => commands.listIamGroups()),
  createIamUser: async (user, policy) => {
    await unwrap(() => commands.createIamUser(user, policy));
  },
  deleteIamUser: (user, force) => unwrap(() => commands.deleteIamUser(user, force)),
  createIamGroup: async (group, policyArn) => {
    await unwrap(() => commands.createIamGroup(group, policyArn));
  },
  setGroupMembership: async (group, user, member) => {
    await unwrap(() => commands.setGroupMembership(group, user, member));
  },
  setKeyActive: async (key, active, force) => {
    await unwrap(() => commands.setKeyActive(key, active, force));
  },
  deleteAccessKey: async (key, force) => {
    await unwrap(() => commands.deleteAccessKey(key, force));
  },
  createAccessKey: (user, bindSource) => unwrap(() => commands.createAccessKey(user, bindSource)),
  cdnEndpoint: async () => {
    // The server starts with the window: give it a moment before reporting it missing.
    for (let attempt = 1; ; attempt += 1) {
      try {
        const info = await unwrap(() => commands.cdnInfo());
        return { baseUrl: info.baseUrl, token: info.token, thumbnailQuery: info.thumbnailQuery, gridTileQuery: info.gridTileQuery };
      } catch (thrown) {
        if (attempt >= 20 || BackendError.from(thrown).code !== "not_available") throw thrown;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  },
  cdnUrls: (name, key, options) => unwrap(() => commands.cdnUrls(name, key, options)),
  cdnCompare: (name, key, options, threshold) => unwrap(() => commands.cdnCompare(name, key, options, threshold)),
  cdnSrcset: (name, key, widths, options, sizes, alt) => unwrap(() => commands.cdnSrcset(name, key, widths, options, sizes, alt)),
  sourceStatuses: () => unwrap(() => commands.sourceStatuses()),
  sourceHandoff: (name, reveal) => unwrap(() => commands.sourceHandoff(name, reveal)),
  copySourceSecret: (name) => unwrap(() => commands.copySourceSecret(name)),
  confirmInWeekerp: async (name, registered) => {
    await unwrap(() => commands.confirmInWeekerp(name, registered));
  },
  checkWeekerp: (name) => unwrap(() => commands.checkWeekerp(name)),
  checkWeekerpUntilServed: (name, onProgress) => {
    const channel = new Channel<Progress>();
    channel.onmessage = onProgress;
    return unwrap(() => commands.checkWeekerpUntilServed(name, channel));
  },
  cancelWeekerpCheck: async () => {
    try {
      await commands.cancelWeekerpCheck();
    } catch (thrown) {
      throw BackendError.from(thrown);
    }
  },
  beginRotation: (name, retire) => unwrap(() => commands.beginRotation(name, retire)),
  finishRotation: (name, fate, confirmedUsed) => unwrap(() => commands.finishRotation(name, fate, confirmedUsed)),
  cancelRotation: (name) => unwrap(() => commands.cancelRotation(name)),
  refreshRotationStatus: (name) => unwrap(() => commands.refreshRotationStatus(name)),
  listAwsProfiles: async () => {
    try {
      return await commands.listAwsProfiles();
    } catch (thrown) {
      throw BackendError.from(thrown);
    }
  },
  generatePolicy: (template, bucket, basePath) => unwrap(() => commands.generatePolicy(template, bucket, basePath)),
  choosePaths: (kind) => unwrap(() => commands.choosePaths(kind)),
  onDroppedPaths: async (handler) => {
    try {
      return await getCurrentWebview().onDragDropEvent((event) => {
        const payload = event.payload;
        if (payload.type === "drop") handler({ kind: "drop", paths: payload.paths });
        else if (payload.type === "leave") handler({ kind: "leave" });
        else handler({ kind: "over" });
      });
    } catch (thrown) {
      throw BackendError.from(thrown);
    }
  },
  describeWriter: (name, writer) => unwrap(() => commands.describeWriter(name, writer)),
  planUpload: (name, paths, prefix) => unwrap(() => commands.planUpload(name, paths, prefix)),
  uploadFiles: (name, request, onProgress) => {
    const channel = new Channel<ProgressSnapshot>();
    channel.onmessage = onProgress;
    return unwrap(() => commands.uploadFiles(name, request, channel));
  },
  cancelTransfer: async () => {
    try {
      await commands.cancelTransfer();
    } catch (thrown) {
      throw BackendError.from(thrown);
    }
  },
  planDownload: (name, keys, prefixes, dest) => unwrap(() => commands.planDownload(name, keys, prefixes, dest)),
  downloadFiles: (name, items, overwrite, onProgress) => {
    const channel = new Channel<ProgressSnapshot>();
    channel.onmessage = onProgress;
    return unwrap(() => commands.downloadFiles(name, items, overwrite, channel));
  },
  planDelete: (name, keys, prefixes) => unwrap(() => commands.planDelete(name, keys, prefixes)),
  deleteObjects: (name, keys, writer) => unwrap(() => commands.deleteObjects(name, keys, writer)),
  hasUnfinishedUploads: (name, writer) => unwrap(() => commands.hasUnfinishedUploads(name, writer)),
  listUnfinishedUploads: (name, writer) => unwrap(() => commands.listUnfinishedUploads(name, writer)),
  abortUnfinishedUploads: (name, uploads, writer) => unwrap(() => commands.abortUnfinishedUploads(name, uploads, writer)),
};
