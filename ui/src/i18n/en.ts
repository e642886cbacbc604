// English messages: the reference catalog. Every other catalog must have exactly these keys
// (checked by the compiler through `Catalog`) and the same `{placeholders}` (checked by a test).

export const en = {
  "app.title": "Bucketdesk",
  "app.starting": "Starting…",

  "language.label": "Language",
  "language.ko": "한국어",
  "language.en": "English",

  "nav.label": "Sections",
  "nav.sources": "Sources",
  "nav.iam": "IAM",
  "nav.buckets": "Buckets",
  "nav.settings": "Settings",

  "sources.title": "Sources",
  "sources.loading": "Loading sources…",
  "sources.loadFailed": "The list of sources could not be loaded.",
  "sources.retry": "Try again",
  "sources.empty": "No sources yet.",
  "sources.addComing": "Add Source arrives with the setup wizard.",
  "sources.column.name": "Name",
  "sources.column.bucket": "Bucket",
  "sources.column.region": "Region",
  "sources.column.basePath": "BasePath",
  "sources.column.keyId": "Key ID",

  "iam.title": "IAM",
  "iam.coming": "Managing IAM users, policies, groups and access keys comes to this page in a later release.",

  "buckets.title": "Buckets",
  "buckets.coming": "Creating, opening up, emptying and deleting buckets comes to this page in a later release.",

  "settings.title": "Settings",
  "settings.theme": "Theme",
  "settings.theme.system": "Same as the system",
  "settings.theme.light": "Light",
  "settings.theme.dark": "Dark",
  "settings.appliesNow": "Language and theme are saved as soon as you change them.",
  "settings.cdnPort": "Local CDN port",
  "settings.cdnPort.hint": "Port of the image preview server on 127.0.0.1.",
  "settings.cacheMb": "Cache size (MB)",
  "settings.cacheMb.hint": "Disk space the local CDN may use for transformed images.",
  "settings.adminProfile": "Admin AWS profile",
  "settings.adminProfile.hint": "Profile in ~/.aws used to manage IAM and buckets. Leave empty to use the default credential chain.",
  "settings.save": "Save",
  "settings.saving": "Saving…",
  "settings.saved": "Settings saved.",
  "settings.invalidPort": "The port must be a whole number from 1024 to 65535.",
  "settings.invalidCache": "The cache size must be a whole number from 16 to 1,048,576 MB (1 TB).",
  "settings.invalidProfile": "A profile name has no spaces and at most 128 characters.",
  "settings.about": "About",
  "settings.configDir": "Configuration folder",
  "settings.version": "Version",

  "sandbox.title": "Sandbox",
  "sandbox.ready": "Bucketdesk is talking to a local test endpoint at {endpoint} (bucket {bucket}, {objects} objects, admin profile {profile}). Nothing here touches AWS, and the sandbox is reset every time the app starts.",
  "sandbox.starting": "The local sandbox is starting…",
  "sandbox.failed": "The local sandbox could not start: {message}",

  "config.title": "The settings file can't be read",
  "config.explain": "Bucketdesk can move this file aside, keeping it under a new name, and start again with default settings.",
  "config.setAside": "Set the file aside and start fresh",
  "config.settingAside": "Setting the file aside…",
  "config.keptAt": "Started with default settings. The old settings file was kept at {path}.",

  "startup.failed": "Bucketdesk could not start",
  "startup.retry": "Try again",

  "common.dismiss": "Dismiss",
} as const;
