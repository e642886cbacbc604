// Entry point: in the Tauri window the app talks to the Rust core; opened in a plain browser
// (`npm run dev` without Tauri) it runs on the in-memory backend so screens can be looked at.

import { isTauri } from "@tauri-apps/api/core";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import type { Backend } from "./backend/backend";
import { MemoryBackend, type ConfigFile } from "./backend/memory";
import { tauriBackend } from "./backend/tauri";
import { App } from "./app/App";
import { browserLanguage } from "./app/document";
import "./styles.css";

function browserPreviewBackend(): Backend {
  // ?config=corrupt|too_new, ?sandbox=ready|starting|failed and ?sources=sample show those states;
  // ?keys=100000 puts that many objects under `많은 파일/` in the fake bucket.
  const query = new URLSearchParams(location.search);
  const backend = new MemoryBackend({
    bigFolder: Math.min(Number(query.get("keys")) || 0, 1_000_000),
    info: { osLanguage: browserLanguage(navigator.languages) },
    config: (query.get("config") as ConfigFile | null) ?? "ok",
    sources:
      query.get("sources") === "sample"
        ? [
            { name: "photos", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…7QXA", endpointUrl: null, addedAt: "2026-01-01T00:00:00Z", lastVerified: null },
            { name: "assets", bucket: "acme-web", region: "us-east-1", basePath: "/assets", keyIdMasked: "AKIA…M2D4", endpointUrl: null, addedAt: "2026-01-01T00:00:00Z", lastVerified: null },
          ]
        : [],
  });
  const sandbox = query.get("sandbox");
  if (sandbox === "ready" || sandbox === "starting") {
    backend.setSandbox({
      state: "ready",
      endpoint: "http://127.0.0.1:4566",
      bucket: "bucketdesk-sandbox",
      region: "us-east-1",
      profile: "bucketdesk-sandbox",
      objects: 1240,
    });
  }
  if (sandbox === "starting") {
    const ready = backend.info.sandbox;
    backend.setSandbox({ state: "starting" });
    setTimeout(() => backend.setSandbox(ready), 3000);
  }
  if (sandbox === "failed") backend.setSandbox({ state: "failed", message: "port 4566 is in use" });
  console.info("Bucketdesk: not inside Tauri, using the in-memory backend");
  return backend;
}

const backend = isTauri() ? tauriBackend : browserPreviewBackend();

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
createRoot(root).render(
  <StrictMode>
    <App backend={backend} />
  </StrictMode>,
);
