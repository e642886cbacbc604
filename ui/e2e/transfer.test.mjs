// Transfers in the real app against the sandbox's IAM-enforcing moto, writing with the
// sandbox's admin profile: two photos uploaded into a folder (one with a Korean name written
// NFD on disk, as macOS does) through the preview and with the progress bar on screen, one
// downloaded (its bytes checked on disk), an upload cancelled (no unfinished upload left on
// the server), one deleted (gone from the listing), and a write with the source's reader key
// refused with the uploader policy offered.
//
// Native dialogs cannot be driven over WebDriver: BUCKETDESK_DIALOG_ANSWERS pre-answers
// them with the paths below (read by the Rust command that opens them; nothing else about
// the flow changes). BUCKETDESK_UPLOAD_LIMIT_KIB caps the upload rate so the progress bar is
// on screen long enough to photograph; the photos are padded past the multipart threshold
// so the bar moves part by part.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";

import { sandboxAdmin, waitFor, withSandboxApp } from "./harness.mjs";

const BUCKET = "bucketdesk-sandbox-photos";
const FOLDER = "사진 모음/";
const KOREAN = "벚꽃 사진.jpg";
const OTHER = "sunset.jpg";
/** Each photo is padded to this size: 3 parts of 8 MiB at most. */
const PHOTO_BYTES = 20 * 1024 * 1024;

/** A real JPEG from the sandbox's photo folder, padded after its end marker. */
function photo(index) {
  const dir = process.env.BUCKETDESK_SANDBOX_PHOTOS || "/usr/share/backgrounds";
  const jpegs = readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).sort();
  assert.ok(jpegs.length >= 2, `two JPEGs in ${dir}`);
  const bytes = readFileSync(path.join(dir, jpegs[index]));
  const padded = Buffer.alloc(Math.max(PHOTO_BYTES, bytes.length));
  bytes.copy(padded);
  return padded;
}

const sha = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");

async function type(app, testId, text) {
  const el = await app.byTestId(testId);
  await app.execute(`document.querySelector('[data-testid="${testId}"]').scrollIntoView({ block: "center" });`);
  await el.clear();
  await el.sendKeys(text);
}

async function scrollTo(app, selector) {
  await app.execute(`document.querySelector(${JSON.stringify(selector)}).scrollIntoView({ block: "start" });`);
}

/** Both themes of the current screen. */
async function bothThemes(app, step) {
  await app.screenshot(step);
  await app.setTheme("dark");
  await app.screenshot(`${step}-dark`);
  await app.setTheme("light");
}

/** The bucket's unfinished multipart uploads, asked with boto3 as the sandbox admin. */
function unfinishedUploads(configDir) {
  const admin = sandboxAdmin(configDir);
  const python = path.join(process.env.BUCKETDESK_VENV, "bin", "python");
  const script =
    "import sys, boto3\n" +
    "s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='ap-northeast-2', aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])\n" +
    "print(len(s3.list_multipart_uploads(Bucket=sys.argv[4]).get('Uploads', [])))\n";
  const out = execFileSync(python, ["-c", script, admin.endpoint, admin.keyId, admin.secret, BUCKET], { encoding: "utf8" });
  return Number(out.trim());
}

const rowCheck = (key) => `[data-testid="browser-row"][data-key="${key}"] [data-testid="browser-row-check"]`;

test("transfer: two photos up with progress, one down, one deleted, the reader key refused", async () => {
  const work = mkdtempSync(path.join(tmpdir(), "bucketdesk-e2e-transfer-"));
  const downloads = path.join(work, "downloads");
  try {
    const nfdName = KOREAN.normalize("NFD");
    assert.notEqual(nfdName, KOREAN, "the test needs a real NFD spelling");
    const korean = path.join(work, nfdName);
    const other = path.join(work, OTHER);
    writeFileSync(korean, photo(0));
    writeFileSync(other, photo(1));
    const env = {
      BUCKETDESK_DIALOG_ANSWERS: JSON.stringify({ files: [korean, other], downloadFolder: [downloads] }),
      BUCKETDESK_UPLOAD_LIMIT_KIB: "6144",
    };
    await withSandboxApp({ name: "transfer", env }, async (app) => {

      // A source to browse: the wizard's "create a dedicated reader for me".
      await (await app.byTestId("nav-sources")).click();
      await (await app.byTestId("sources-add")).click();
      await (await app.byTestId("wizard-next")).click();
      await (await app.byTestId("wizard-mode-reader")).click();
      await type(app, "wizard-reader-user", "e2e-transfer-reader");
      await (await app.byTestId("wizard-next")).click();
      await type(app, "wizard-bucket-input", BUCKET);
      await (await app.byTestId("wizard-next")).click();
      await type(app, "wizard-name", "shop");
      await (await app.byTestId("wizard-next")).click();
      await (await app.byTestId("wizard-create-reader")).click();
      await app.waitForText("wizard-cdn-url", "https://cdn.weekerp.com/image/shop/", { timeout: 60000 });
      // Step 6 fills in as the hand-off panel and the live sample image arrive, which moves
      // the Done button: click it once the page has settled.
      await app.waitForText("handoff-accessKeyId", "AKIA", { timeout: 20000 });
      await waitFor("the live sample image to load from the local CDN", async () =>
        app.execute(`const img = document.querySelector('[data-testid="wizard-sample-preview"]'); return !img || (img.complete && img.naturalWidth > 0);`),
      );
      await app.execute(`document.querySelector('[data-testid="wizard-done"]').scrollIntoView({ block: "center" });`);
      await (await app.byTestId("wizard-done")).click();
      await (await app.$('[data-testid="source-row"][data-name="shop"] [data-testid="source-browse"]', { timeout: 20000 })).click();
      await (await app.$(`[data-testid="browser-row"][data-key="${FOLDER}"]`, { timeout: 30000 })).click();
      await app.waitForText("browser-breadcrumb", "사진 모음", { timeout: 20000 });
      await app.waitForText("writer-shown", "bucketdesk-sandbox", { timeout: 20000 });

      // 1. The preview: NFC keys (with the warning), the first image's CDN URL, nothing sent.
      await (await app.byTestId("upload-files")).click();
      await app.waitForText("upload-preview-summary", "2 files", { timeout: 30000 });
      await app.waitForText("upload-preview-nfc", "NFC");
      const keys = await app.execute(
        `return [...document.querySelectorAll('[data-testid="upload-preview-row"]')].map((r) => r.dataset.key);`,
      );
      assert.deepEqual(keys.sort(), [`${FOLDER}${KOREAN}`, `${FOLDER}${OTHER}`].sort(), "NFC keys in the folder");
      await app.waitForText("upload-preview-url", "https://cdn.weekerp.com/image/shop/%EC%82%AC%EC%A7%84%20%EB%AA%A8%EC%9D%8C/");
      await type(app, "upload-cache-control", "public, max-age=86400");
      await scrollTo(app, '[data-testid="upload-preview"]');
      await app.assertTablesFit("upload preview");
      await bothThemes(app, "01-preview");
      const language = await app.byTestId("language-select");
      await language.selectByValue("ko");
      await app.waitForText("upload-start", "올리기");
      await app.screenshot("01-preview-ko");
      await language.selectByValue("en");
      await app.waitForText("upload-start", "Upload 2 files");

      // 2. Progress: the bar moves as parts are acknowledged.
      await (await app.byTestId("upload-start")).click();
      await waitFor("the bar part-way", async () => {
        const now = await app.execute(`const b = document.querySelector('[data-testid="transfer-bar"]'); return b ? Number(b.getAttribute("aria-valuenow")) : -1;`);
        return now > 0 && now < 90;
      }, { timeout: 60000, interval: 50 });
      await scrollTo(app, '[data-testid="transfer-progress"]');
      await bothThemes(app, "02-progress");
      const total = await (await app.byTestId("transfer-total")).text();
      assert.match(total, /MB of 41\.9 MB/, `bytes of the total: ${total}`);
      assert.match(total, /\/s/, `a rate: ${total}`);
      await app.waitForText("upload-done", "Uploaded 2 files", { timeout: 120000 });
      await app.$(`[data-testid="browser-row"][data-key="${FOLDER}${KOREAN}"]`, { timeout: 20000 });
      await app.$(`[data-testid="browser-row"][data-key="${FOLDER}${OTHER}"]`, { timeout: 20000 });
      await app.screenshot("03-uploaded");

      // 3. Download the Korean photo: the same bytes on disk.
      await (await app.$(rowCheck(`${FOLDER}${KOREAN}`))).click();
      await app.waitForText("transfers", "1 selected");
      await (await app.byTestId("download")).click();
      await app.waitForText("download-done", "Downloaded 1 file ", { timeout: 60000 });
      assert.equal(sha(path.join(downloads, KOREAN)), sha(korean), "the downloaded bytes are the uploaded ones");
      await scrollTo(app, '[data-testid="download-done"]');
      await app.screenshot("04-downloaded");
      // Again into the same folder: the existing file is not replaced unasked.
      await (await app.byTestId("download")).click();
      await app.waitForText("download-exists", "already exist", { timeout: 30000 });
      await scrollTo(app, '[data-testid="download-exists"]');
      await app.screenshot("05-download-asks-first");
      await (await app.byTestId("download-exists-cancel")).click();
      await (await app.$(rowCheck(`${FOLDER}${KOREAN}`))).click();

      // Cancel mid-upload: the multipart uploads are aborted, none is left on the server.
      await (await app.byTestId("upload-files")).click();
      await app.waitForText("upload-preview-summary", "2 files", { timeout: 30000 });
      await (await app.byTestId("collision-rename")).click();
      await (await app.byTestId("upload-start")).click();
      await waitFor("the bar to move", async () =>
        Number(await app.execute(`const b = document.querySelector('[data-testid="transfer-bar"]'); return b ? b.getAttribute("aria-valuenow") : 0;`)) > 0,
      { timeout: 60000, interval: 50 });
      await (await app.byTestId("transfer-cancel")).click();
      await app.waitForText("upload-done", "not transferred: cancelled", { timeout: 60000 });
      assert.equal(unfinishedUploads(app.configDir), 0, "no unfinished upload is left after the cancel");
      await scrollTo(app, '[data-testid="upload-done"]');
      await app.screenshot("05b-upload-cancelled");
      await (await app.byTestId("upload-done-close")).click();

      // 4. Delete the other photo: confirmed with the count, then gone from the listing.
      await (await app.$(rowCheck(`${FOLDER}${OTHER}`))).click();
      await (await app.byTestId("delete")).click();
      await app.waitForText("delete-count", "1 object", { timeout: 30000 });
      await scrollTo(app, '[data-testid="delete-confirm"]');
      await bothThemes(app, "06-delete-confirm");
      await (await app.byTestId("delete-ok")).click();
      await app.waitForText("delete-done", "Deleted 1 object", { timeout: 30000 });
      await waitFor("the deleted photo to leave the listing", async () =>
        app.execute(`return !document.querySelector('[data-testid="browser-row"][data-key="${FOLDER}${OTHER}"]') && !!document.querySelector('[data-testid="browser-row"][data-key="${FOLDER}${KOREAN}"]');`),
      { timeout: 20000 });
      await app.screenshot("07-deleted");

      // 5. The source's own key chosen for writing: refused, naming s3:PutObject, with the
      // uploader policy offered.
      const config = JSON.parse(readFileSync(path.join(app.configDir, "sandbox", "config", "config.json"), "utf8"));
      const readerKey = config.sources.find((s) => s.name === "shop").accessKeyId;
      await (await app.byTestId("writer-key")).click();
      await type(app, "writer-key-id", readerKey);
      await (await app.byTestId("browser-status")).click();
      await app.waitForText("writer-shown", "s3:PutObject", { timeout: 20000 });
      await (await app.byTestId("upload-files")).click();
      await app.waitForText("upload-preview-summary", "2 files", { timeout: 30000 });
      await (await app.byTestId("collision-overwrite")).click();
      await (await app.byTestId("upload-start")).click();
      await app.waitForText("transfer-error", "s3:PutObject", { timeout: 30000 });
      await (await app.byTestId("show-uploader-policy")).click();
      await app.waitForText("uploader-policy", `arn:aws:s3:::${BUCKET}`, { timeout: 20000 });
      await scrollTo(app, '[data-testid="transfers"]');
      await bothThemes(app, "08-reader-key-refused");
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
