// @vitest-environment happy-dom
// The browser's transfers on the in-memory backend. Every plan, report and progress snapshot
// is scripted here as the core would answer (the rules behind them are the core's and are
// tested in Rust); these tests check what the screen shows of them and what it sends back.

import { act } from "react";
import { describe, expect, it } from "vitest";
import { MemoryBackend } from "../backend/memory";
import type { ProgressSnapshot, UploadPlan } from "../backend/backend";
import policies from "../fixtures/policies.json";
import { byTestId, click, dom, query, render, settle, type } from "../test/dom";

const SOURCE = { name: "shop", bucket: "acme-photos", region: "ap-northeast-2", basePath: "/", keyIdMasked: "AKIA…MPLE", endpointUrl: null, addedAt: "2026-11-01T00:00:00Z", lastVerified: null };
const NFD = "벚꽃 사진.jpg".normalize("NFD");

async function openBrowser(setup: (backend: MemoryBackend) => void = () => {}) {
  const backend = new MemoryBackend({ sources: [SOURCE] });
  backend.transfer.writer = { kind: "admin", label: "bucketdesk-sandbox" };
  setup(backend);
  await render(backend);
  await click("source-browse");
  await settle(50);
  return backend;
}

const plan: UploadPlan = {
  prefix: "",
  files: [
    { path: `/home/u/${NFD}`, key: "벚꽃 사진.jpg", size: 2_000_000, contentType: "image/jpeg", normalizedFrom: NFD, exists: false, problem: null },
    { path: "/home/u/배너/메인 배너 (가을).jpg", key: "배너/메인 배너 (가을).jpg", size: 1_000_000, contentType: "image/jpeg", normalizedFrom: null, exists: true, problem: null },
    { path: "/home/u/long.jpg", key: `${"가".repeat(343)}.jpg`, size: 10, contentType: "image/jpeg", normalizedFrom: null, exists: false, problem: { kind: "tooLong", bytes: 1033 } },
  ],
  totalBytes: 3_000_010,
  normalized: 1,
  collisions: 1,
  problems: 1,
  firstImageUrl: "https://cdn.weekerp.com/image/shop/%EB%B2%9A%EA%BD%83%20%EC%82%AC%EC%A7%84.jpg",
};

const halfway: ProgressSnapshot = {
  files: [
    { key: "벚꽃 사진.jpg", bytesTotal: 2_000_000, bytesDone: 1_000_000, rate: 500_000, etaSecs: 2, state: "running" },
    { key: "배너/메인 배너 (가을) (1).jpg", bytesTotal: 1_000_000, bytesDone: 500_000, rate: 250_000, etaSecs: 2, state: "running" },
  ],
  filesTotal: 2,
  filesDone: 0,
  bytesTotal: 3_000_000,
  bytesDone: 1_500_000,
  rate: 750_000,
  etaSecs: 2,
  elapsedSecs: 2,
  cancelled: false,
};

describe("upload", () => {
  it("previews the core's keys before sending, asks about collisions once, shows progress and cancels", async () => {
    let open!: () => void;
    const backend = await openBrowser((b) => {
      b.transfer.dialog.files = plan.files.map((f) => f.path);
      b.transfer.uploadPlan = plan;
      b.transfer.uploadProgress = [halfway];
      b.transfer.uploadGate = new Promise((resolve) => (open = resolve));
      b.transfer.uploadReport = {
        uploaded: [{ key: "벚꽃 사진.jpg", bytes: 2_000_000, parts: 0, partsSent: 0, partsReused: 0, resumed: false, restarted: false, checksumCrc32C: null }],
        failed: [],
        cancelled: ["배너/메인 배너 (가을) (1).jpg"],
        skipped: [`${"가".repeat(343)}.jpg`],
      };
    });
    expect(byTestId("writer-shown").textContent).toContain("bucketdesk-sandbox");
    await click("upload-files");
    await settle(20);
    expect(backend.calls.uploadFiles, "nothing is sent before the preview").toBe(0);
    expect(byTestId("upload-preview-summary").textContent).toContain("3 files");
    expect(byTestId("upload-preview-nfc").textContent).toContain("NFC");
    expect(byTestId("upload-preview-nfc-row").textContent).toContain(NFD);
    expect(byTestId("upload-preview-problems").textContent).toContain("1 of the files cannot be uploaded");
    expect(byTestId("upload-preview-table").textContent).toContain("1,033 bytes");
    expect(byTestId("upload-preview-url").textContent).toBe(plan.firstImageUrl);
    // Skip is the default: one file goes; rename sends both uploadable files.
    expect(byTestId("upload-start").textContent).toBe("Upload 1 file");
    await click("collision-rename");
    expect(byTestId("upload-start").textContent).toBe("Upload 2 files");
    await type("upload-cache-control", "public, max-age=60");
    await click("upload-start");
    await settle(20);
    expect(backend.transfer.uploads[0]!.request).toEqual({
      paths: plan.files.map((f) => f.path),
      prefix: "",
      onCollision: "rename",
      cacheControl: "public, max-age=60",
      writer: { kind: "admin" },
    });
    expect(byTestId("transfer-bar").getAttribute("aria-valuenow")).toBe("50");
    expect(byTestId("transfer-total").textContent).toContain("1.5 MB of 3.0 MB");
    expect(byTestId("transfer-total").textContent).toContain("750.0 KB/s");
    expect(byTestId("transfer-total").textContent).toContain("2 s left");
    expect(dom.container.querySelectorAll('[data-testid="transfer-file"]').length).toBe(2);
    await click("transfer-cancel");
    expect(backend.calls.cancelTransfer).toBe(1);
    expect(byTestId("transfer-cancel").textContent).toBe("Cancelling…");
    await act(async () => open());
    await settle(20);
    expect(byTestId("upload-done").textContent).toContain("Uploaded 1 file ");
    expect(byTestId("upload-done").textContent).toContain("1 not transferred: cancelled");
  });

  it("uploads what is dropped on the window into the current folder, through the preview", async () => {
    const backend = await openBrowser((b) => {
      b.transfer.uploadPlan = { ...plan, prefix: "배너/" };
    });
    await act(async () => dom.container.querySelector<HTMLElement>('[data-key="배너/"]')!.click());
    await settle(50);
    await act(async () => backend.drop({ kind: "over" }));
    expect(byTestId("drop-overlay").textContent).toContain("배너/");
    await act(async () => backend.drop({ kind: "drop", paths: ["/home/u/새 폴더"] }));
    await settle(20);
    expect(query("drop-overlay")).toBeNull();
    expect(backend.calls.planUpload).toBe(1);
    expect(byTestId("upload-preview-summary").textContent).toContain("배너/");
  });

  it("shows the core's refusal of a write and offers the uploader policy", async () => {
    const backend = await openBrowser((b) => {
      b.transfer.dialog.files = ["/home/u/a.jpg"];
      b.transfer.uploadPlan = plan;
    });
    await click("upload-files");
    await settle(20);
    backend.failNext("uploadFiles", "access_denied", "The source's reader key cannot write to acme-photos (it is not allowed s3:PutObject).");
    await click("upload-start");
    await settle(20);
    expect(byTestId("transfer-error").textContent).toContain("s3:PutObject");
    await click("show-uploader-policy");
    await settle(20);
    const uploader = policies.cases.find((c) => c.template === "uploader" && c.bucket === "acme-photos" && c.basePath === "/")!;
    expect(byTestId("uploader-policy").textContent).toBe(uploader.policy!.document);
  });
});

describe("download and delete", () => {
  it("never replaces an existing file without asking", async () => {
    const backend = await openBrowser((b) => {
      b.transfer.dialog.downloadFolder = ["/home/u/받은 사진"];
      b.transfer.downloadPlan = {
        items: [
          { key: "배너/메인 배너 (가을).jpg", path: "/home/u/받은 사진/배너/메인 배너 (가을).jpg", size: 1000, exists: true },
          { key: "배너/새 배너.jpg", path: "/home/u/받은 사진/배너/새 배너.jpg", size: 1000, exists: false },
        ],
        bytes: 2000,
        existing: 1,
        refused: [],
      };
      b.transfer.downloadReport = { downloaded: [], failed: [], cancelled: [] };
    });
    expect(byTestId<HTMLButtonElement>("download").disabled, "nothing selected yet").toBe(true);
    const folderCheck = dom.container.querySelector<HTMLInputElement>('[data-key="배너/"] [data-testid="browser-row-check"]')!;
    await act(async () => folderCheck.click());
    expect(byTestId("transfers").textContent).toContain("1 selected");
    await click("download");
    await settle(20);
    expect(byTestId("download-exists").textContent).toContain("1 of these files already exist");
    expect(backend.calls.downloadFiles).toBe(0);
    await click("download-only-new");
    await settle(20);
    expect(backend.transfer.downloads[0]).toEqual({ items: [backend.transfer.downloadPlan!.items[1]], overwrite: false });
    expect(byTestId("download-done").textContent).toContain("/home/u/받은 사진");
  });

  it("confirms a delete with the count and lists every key that failed", async () => {
    const backend = await openBrowser((b) => {
      b.transfer.deletePlan = { keys: ["배너/메인 배너 (가을).jpg", "photos/00000.jpg"], count: 2, bytes: 3_000_000 };
      b.transfer.deleteReport = {
        deleted: 1,
        failed: [{ key: "photos/00000.jpg", error: { code: "access_denied", message: "This key is not allowed s3:DeleteObject on acme-photos." } }],
        batches: 1,
      };
    });
    const check = dom.container.querySelector<HTMLInputElement>('[data-key="배너/"] [data-testid="browser-row-check"]')!;
    await act(async () => check.click());
    await click("delete");
    await settle(20);
    expect(byTestId("delete-count").textContent).toContain("2 objects (3.0 MB) from acme-photos");
    expect(backend.calls.deleteObjects, "nothing deleted before the confirmation").toBe(0);
    await click("delete-ok");
    await settle(50);
    expect(backend.transfer.deletes[0]).toEqual({ keys: ["배너/메인 배너 (가을).jpg", "photos/00000.jpg"], writer: { kind: "admin" } });
    expect(byTestId("delete-failed").textContent).toContain("photos/00000.jpg: This key is not allowed s3:DeleteObject");
    expect(dom.container.querySelector('[data-key="배너/"]'), "the listing was reloaded: the folder is gone").toBeNull();
  });

  it("ticks tiles in the grid as rows in the list: one selection, kept across the views", async () => {
    const backend = await openBrowser((b) => {
      b.transfer.deletePlan = { keys: ["photos/00001.jpg", "photos/00002.jpg"], count: 2, bytes: 20 };
    });
    await act(async () => dom.container.querySelector<HTMLElement>('[data-key="photos/"]')!.click());
    await settle(50);
    await click("browser-view-grid");
    await settle(20);
    const tileCheck = (key: string) => dom.container.querySelector<HTMLInputElement>(`[data-testid="browser-tile"][data-key="${key}"] [data-testid="browser-tile-check"]`)!;
    expect(tileCheck("photos/00001.jpg").getAttribute("aria-label")).toContain("00001.jpg");
    await act(async () => tileCheck("photos/00001.jpg").click());
    await act(async () => tileCheck("photos/00002.jpg").click());
    await settle(20);
    expect(dom.container.querySelector(".object-panel"), "ticking a tile does not open it").toBeNull();
    expect(tileCheck("photos/00001.jpg").checked).toBe(true);
    await click("browser-view-list");
    await settle(20);
    const rowCheck = (key: string) => dom.container.querySelector<HTMLInputElement>(`[data-testid="browser-row"][data-key="${key}"] [data-testid="browser-row-check"]`)!;
    expect([rowCheck("photos/00001.jpg").checked, rowCheck("photos/00002.jpg").checked, rowCheck("photos/00003.jpg").checked]).toEqual([true, true, false]);
    await click("delete");
    await settle(20);
    expect(backend.transfer.deletePlanned.at(-1)).toEqual({ keys: ["photos/00001.jpg", "photos/00002.jpg"], prefixes: [] });
    expect(byTestId("delete-count").textContent).toContain("2 objects");
  });

  it("writes with an uploader key once it is chosen, and shows which", async () => {
    const backend = await openBrowser((b) => {
      b.transfer.deletePlan = { keys: ["photos/00001.jpg"], count: 1, bytes: 10 };
      b.transfer.deleteReport = { deleted: 1, failed: [], batches: 1 };
    });
    backend.transfer.writer = { kind: "key", label: "AKIA…LOAD" };
    await click("writer-key");
    await type("writer-key-id", "AKIAUPLOADERKEY00001");
    await act(async () => byTestId("writer-key-id").dispatchEvent(new FocusEvent("focusout", { bubbles: true })));
    await settle(20);
    expect(byTestId("writer-shown").textContent).toContain("AKIA…LOAD");
    await act(async () => dom.container.querySelector<HTMLElement>('[data-key="photos/"]')!.click());
    await settle(50);
    await act(async () => dom.container.querySelector<HTMLInputElement>('[data-key="photos/00001.jpg"] [data-testid="browser-row-check"]')!.click());
    await click("delete");
    await settle(20);
    await click("delete-ok");
    await settle(20);
    expect(backend.transfer.deletes[0]!.writer).toEqual({ kind: "key", accessKeyId: "AKIAUPLOADERKEY00001" });
  });
});

describe("unfinished uploads", () => {
  it("has a notice when the bucket has any, lists them with their cost, and aborts the chosen ones", async () => {
    const upload = (key: string, id: string) => ({ key, uploadId: id, initiated: "2026-11-01T00:00:00Z", ageDays: 30, parts: 3, bytes: 24 * 1024 * 1024, monthlyCostUsd: 0.00054 });
    const backend = await openBrowser((b) => {
      b.transfer.unfinished = {
        bucket: "acme-photos",
        uploads: [upload("big/a.jpg", "u1"), upload("big/b.jpg", "u2")],
        bytes: 48 * 1024 * 1024,
        monthlyCostUsd: 0.00108,
        usdPerGbMonth: 0.023,
      };
    });
    await settle(20);
    expect(byTestId("unfinished-notice").textContent).toContain("acme-photos has unfinished multipart uploads");
    await click("unfinished-open");
    await settle(20);
    expect(byTestId("unfinished-total").textContent).toContain("2 unfinished uploads");
    expect(byTestId("unfinished-total").textContent).toContain("$0.0011 a month");
    expect(dom.container.querySelectorAll('[data-testid="unfinished-row"]').length).toBe(2);
    await act(async () => dom.container.querySelector<HTMLInputElement>('[data-key="big/a.jpg"] [data-testid="unfinished-choose"]')!.click());
    await click("unfinished-abort-selected");
    await settle(20);
    expect(backend.transfer.aborted[0]!.map((u) => u.uploadId)).toEqual(["u1"]);
    expect(byTestId("unfinished-report").textContent).toContain("Aborted 1 upload");
    expect(dom.container.querySelectorAll('[data-testid="unfinished-row"]').length).toBe(1);
  });
});
