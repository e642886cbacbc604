// GUI end-to-end harness: drives the real Bucketdesk binary over W3C WebDriver.
//
// Each app session gets its own tauri-driver (which starts WebKitWebDriver, which starts the
// app). tauri-driver has no per-session environment option and the app inherits its
// environment, so a driver per session is what gives every session its own
// BUCKETDESK_CONFIG_DIR, locale and sandbox settings. The client is plain `fetch`.
//
// Run through scripts/e2e.sh: it builds the binary, starts Xvfb, sets DISPLAY and runs
// `node --test`. Environment it passes down:
//   BUCKETDESK_BIN        the app binary (built with --features custom-protocol)
//   TAURI_DRIVER          the tauri-driver binary
//   BUCKETDESK_E2E_PGIDS  a file where each driver's process group is recorded, so the
//                         shell's trap can end them even if node dies

import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCREENSHOT_DIR = path.join(here, "screenshots");
// The W3C web element identifier key.
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the GUI tests through scripts/e2e.sh`);
  return value;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a truthy value; throws with `what` after `timeout` ms. */
export async function waitFor(what, probe, { timeout = 15000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${cause}`);
    }
    await sleep(interval);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

class WebDriverError extends Error {
  constructor(method, url, status, value) {
    super(`${method} ${url} -> ${status} ${value?.error ?? ""}: ${value?.message ?? JSON.stringify(value)}`);
    this.error = value?.error;
  }
}

// Process groups of drivers still running, ended on exit whatever happens.
const liveGroups = new Set();
// Config dirs and driver logs this process made; removed when it exits.
const scratch = new Set();

function killLiveGroups() {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
process.on("exit", () => {
  killLiveGroups();
  for (const file of scratch) rmSync(file, { recursive: true, force: true });
});
// Node skips "exit" handlers when a signal ends it: end the drivers first.
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]]) {
  process.once(signal, () => {
    killLiveGroups();
    process.exit(code);
  });
}

/** One running app: its tauri-driver, WebDriver session and config dir. */
export class App {
  #driver;
  #exited;
  #log;

  constructor({ base, session, driver, exited, log, configDir, name }) {
    /** The WebDriver session's URL; routes such as /element are relative to it. */
    this.sessionUrl = `${base}/session/${session}`;
    this.#driver = driver;
    this.#exited = exited;
    this.#log = log;
    this.configDir = configDir;
    this.name = name;
  }

  /**
   * Starts the app with a fresh (or the given) config dir.
   * options: name (screenshot prefix), configDir, env (extra variables for the app; a value
   * of undefined removes one).
   */
  static async start({ name, configDir, env = {} } = {}) {
    const bin = required("BUCKETDESK_BIN");
    const tauriDriver = required("TAURI_DRIVER");
    required("DISPLAY");
    if (configDir === undefined) {
      configDir = mkdtempSync(path.join(tmpdir(), "bucketdesk-e2e-config-"));
      scratch.add(configDir);
    }

    // The app inherits tauri-driver's environment. Drop anything that could reach a real
    // AWS account or pick another locale.
    const childEnv = { ...process.env };
    for (const key of Object.keys(childEnv)) {
      if (key.startsWith("AWS_") || key.startsWith("LC_")) delete childEnv[key];
    }
    Object.assign(childEnv, {
      LANG: "en_US.UTF-8",
      LANGUAGE: "en_US",
      BUCKETDESK_CONFIG_DIR: configDir,
    });
    for (const [key, value] of Object.entries(env)) {
      if (value === undefined) delete childEnv[key];
      else childEnv[key] = value;
    }

    const port = await freePort();
    let nativePort = await freePort();
    while (nativePort === port) nativePort = await freePort();
    const logPath = path.join(tmpdir(), `bucketdesk-e2e-driver-${process.pid}-${port}.log`);
    writeFileSync(logPath, "");
    scratch.add(logPath);
    const log = { path: logPath };
    // A process group of its own: tauri-driver, WebKitWebDriver and the app end together.
    const driver = spawn(tauriDriver, ["--port", String(port), "--native-port", String(nativePort)], {
      env: childEnv,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    liveGroups.add(driver.pid);
    if (process.env.BUCKETDESK_E2E_PGIDS) appendFileSync(process.env.BUCKETDESK_E2E_PGIDS, `${driver.pid}\n`);
    for (const stream of [driver.stdout, driver.stderr]) {
      stream.on("data", (chunk) => appendFileSync(logPath, chunk));
    }
    const exited = new Promise((resolve) => driver.on("exit", (code, signal) => resolve({ code, signal })));
    let gone = null;
    exited.then((how) => {
      gone = how;
    });

    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor("tauri-driver to listen", async () => {
        if (gone) throw new Error(`tauri-driver exited (${JSON.stringify(gone)})`);
        const response = await fetch(`${base}/status`);
        return response.ok;
      });
      const created = await request("POST", `${base}/session`, {
        capabilities: { alwaysMatch: { "tauri:options": { application: bin } } },
      });
      const app = new App({
        base,
        session: created.sessionId,
        driver,
        exited,
        log,
        configDir,
        name: name ?? "app",
      });
      await app.$("body");
      return app;
    } catch (error) {
      await stopGroup(driver, exited);
      throw new Error(`${error.message}\n--- tauri-driver log (${logPath}) ---\n${tail(logPath)}`);
    }
  }

  /** Any WebDriver command of this session, e.g. command("POST", "/url", { url }). */
  command(method, route, body) {
    return request(method, `${this.sessionUrl}${route}`, body);
  }

  /** Finds one element by CSS selector, waiting for it to exist. Returns an Element. */
  async $(selector, { timeout = 15000 } = {}) {
    const found = await waitFor(`element ${selector}`, async () => {
      try {
        return await this.command("POST", "/element", { using: "css selector", value: selector });
      } catch (error) {
        if (error.error === "no such element") return null;
        throw error;
      }
    }, { timeout });
    return new Element(this, found[ELEMENT], selector);
  }

  /** The element with this data-testid, waiting until it is displayed. */
  async byTestId(testId, options) {
    // Found again on each try: a screen that re-renders while loading (the source list at
    // start-up) replaces the element, and a stale reference would never become displayed.
    return waitFor(`[data-testid="${testId}"] to be displayed`, async () => {
      const element = await this.$(`[data-testid="${testId}"]`, options);
      return (await element.isDisplayed()) ? element : null;
    }, options);
  }

  /** Waits until the element with this data-testid has text containing `text`. */
  async waitForText(testId, text, options) {
    let last = "";
    try {
      await waitFor(`[data-testid="${testId}"] to read "${text}"`, async () => {
        last = await (await this.$(`[data-testid="${testId}"]`)).text();
        return last.includes(text);
      }, options);
    } catch (error) {
      throw new Error(`${error.message}; it reads "${last}"`);
    }
  }

  execute(script, args = []) {
    return this.command("POST", "/execute/sync", { script, args });
  }

  executeAsync(script, args = []) {
    return this.command("POST", "/execute/async", { script, args });
  }

  /** Waits two animation frames, so that a DOM change has been painted. */
  nextPaint() {
    return this.executeAsync(
      "const done = arguments[arguments.length - 1];" +
        "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
    );
  }

  /** Saves a PNG screenshot as ui/e2e/screenshots/<name>-<step>.png and returns its path. */
  async screenshot(step) {
    await this.nextPaint();
    // Without accelerated compositing (what the app chooses where there is no GPU, as on
    // this test machine), WebKitWebDriver's screenshot waits for the next frame to be
    // presented and never answers on a still page. A 1-pixel, nearly transparent dot in
    // the corner changes shade every 16 ms while the screenshot is taken, so a frame
    // always comes; it is removed afterwards.
    await this.execute(`
      const dot = document.createElement("div");
      dot.id = "e2e-frame-nudge";
      dot.style.cssText = "position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;z-index:2147483647";
      let odd = false;
      const tick = () => { odd = !odd; dot.style.background = odd ? "rgba(0,0,0,0.01)" : "rgba(0,0,0,0.02)"; };
      tick();
      dot.dataset.timer = String(setInterval(tick, 16));
      document.body.append(dot);`);
    let base64;
    try {
      base64 = await this.command("GET", "/screenshot");
    } finally {
      await this.execute(`
        const dot = document.getElementById("e2e-frame-nudge");
        if (dot) { clearInterval(Number(dot.dataset.timer)); dot.remove(); }`).catch(() => {});
    }
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, `${this.name}-${step}.png`);
    writeFileSync(file, Buffer.from(base64, "base64"));
    return file;
  }

  /**
   * Fails when any table on the screen is wider than its box at the window's size: each
   * table's scrollWidth must not exceed its clientWidth, nor its container's.
   */
  async assertTablesFit(where) {
    const overflowing = await this.execute(`
      return [...document.querySelectorAll("table")].flatMap((table) => {
        const box = table.parentElement;
        const over = table.scrollWidth > table.clientWidth || table.getBoundingClientRect().right > box.getBoundingClientRect().right + 0.5
          || table.getBoundingClientRect().right > window.innerWidth;
        return over ? [(table.dataset.testid || "table") + ": " + table.scrollWidth + " > " + table.clientWidth] : [];
      });`);
    if (overflowing.length > 0) throw new Error(`${where}: tables run off the window: ${overflowing.join("; ")}`);
  }

  /**
   * Fails when any visible input, select, textarea or button (or element with the role of a
   * button, tab or menu item) has no accessible name: an
   * aria-label, an aria-labelledby that points at text, a <label>, or (buttons) text, an
   * image's alt or a title. A placeholder is not a name. Returns how many were checked.
   */
  async assertLabelled(where) {
    const { checked, unnamed } = await this.execute(`
      const text = (el) => (el ? (el.textContent || "").replace(/\\s+/g, " ").trim() : "");
      const visible = (el) => {
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return style.display !== "none" && style.visibility !== "hidden" && box.width > 0 && box.height > 0;
      };
      const named = (el) => {
        if ((el.getAttribute("aria-label") || "").trim()) return true;
        const ids = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
        if (ids.some((id) => text(document.getElementById(id)))) return true;
        if (el.labels && [...el.labels].some((label) => text(label))) return true;
        if (el.tagName === "BUTTON" || el.getAttribute("role")) {
          if (text(el)) return true;
          if ([...el.querySelectorAll("img[alt]")].some((img) => img.alt.trim())) return true;
        }
        if (el.tagName === "INPUT" && ["button", "submit", "reset"].includes(el.type) && el.value.trim()) return true;
        return (el.getAttribute("title") || "").trim() !== "";
      };
      const controls = [...document.querySelectorAll("input, select, textarea, button, [role=button], [role=tab], [role=menuitem]")]
        .filter((el) => el.type !== "hidden" && visible(el));
      const unnamed = controls.filter((el) => !named(el)).map((el) => {
        const id = el.dataset.testid ? "[data-testid=" + el.dataset.testid + "]" : "";
        return el.tagName.toLowerCase() + (el.type ? "[type=" + el.type + "]" : "") + id + " " + el.outerHTML.slice(0, 160);
      });
      return { checked: controls.length, unnamed };`);
    if (unnamed.length > 0) throw new Error(`${where}: controls without an accessible name:\n  ${unnamed.join("\n  ")}`);
    return checked;
  }

  /** Switches the app's theme through its own document hook (the Settings choice's effect). */
  async setTheme(theme) {
    await this.execute(`document.documentElement.dataset.theme = ${JSON.stringify(theme)};`);
  }

  /** Reads the app's config.json, or null while it does not exist. */
  readConfig() {
    try {
      return JSON.parse(readFileSync(path.join(this.configDir, "config.json"), "utf8"));
    } catch (error) {
      if (error.code === "ENOENT") return null;
      throw error;
    }
  }

  /** Ends the WebDriver session (which closes the app) and the driver's process group. */
  async close() {
    try {
      await this.command("DELETE", "");
    } catch {
      // the group is ended below either way
    }
    await stopGroup(this.#driver, this.#exited);
  }

  get driverLog() {
    return tail(this.#log.path);
  }
}

export class Element {
  #app;
  constructor(app, id, selector) {
    this.#app = app;
    this.id = id;
    this.selector = selector;
  }

  #call(method, route, body) {
    return request(method, `${this.#app.sessionUrl}/element/${this.id}${route}`, body);
  }

  click() {
    return this.#call("POST", "/click", {});
  }

  text() {
    return this.#call("GET", "/text");
  }

  isDisplayed() {
    return this.#call("GET", "/displayed");
  }

  property(name) {
    return this.#call("GET", `/property/${name}`);
  }

  /** Empties an input or textarea. */
  clear() {
    return this.#call("POST", "/clear", {});
  }

  /** Types `text` into the element as keystrokes (after whatever it holds). */
  sendKeys(text) {
    return this.#call("POST", "/value", { text });
  }

  /** Picks an <option> of this native <select> by value, as a user's click would. */
  async selectByValue(value) {
    const option = await this.#app.$(`${this.selector} option[value="${value}"]`);
    await option.click();
    await waitFor(`${this.selector} to have value ${value}`, async () => (await this.property("value")) === value);
  }
}

// No WebDriver command here should take this long; a hung one fails instead of stalling.
const COMMAND_TIMEOUT_MS = 60000;

async function request(method, url, body) {
  let response;
  try {
    response = await fetch(url, {
      method,
      signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    // fetch rejects with a DOMException (read-only message) on the timeout: say which
    // command got no answer, as an Error the test's report can add to.
    const why = error?.name === "TimeoutError" ? `no answer in ${COMMAND_TIMEOUT_MS} ms` : String(error);
    throw new Error(`${method} ${url} ${JSON.stringify(body ?? {}).slice(0, 200)}: ${why}`);
  }
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${url} -> ${response.status}: ${text.slice(0, 500)}`);
  }
  if (!response.ok || parsed?.value?.error) throw new WebDriverError(method, url, response.status, parsed.value);
  return parsed.value;
}

async function stopGroup(driver, exited) {
  const pgid = driver.pid;
  const signal = (name) => {
    try {
      process.kill(-pgid, name);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  // The app may outlive tauri-driver by a moment: end the whole group for sure.
  signal(done ? "SIGTERM" : "SIGKILL");
  await sleep(200);
  signal("SIGKILL");
  liveGroups.delete(pgid);
}

function tail(file, lines = 40) {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Like `withApp`, in the sandbox (BUCKETDESK_SANDBOX=on, plus `options.env`): `body` runs
 * once the banner names the local endpoint, that is once moto is up and seeded.
 */
export async function withSandboxApp(options, body) {
  const env = { BUCKETDESK_SANDBOX: "on", ...options.env };
  return withApp({ ...options, env }, async (app) => {
    await app.waitForText("sandbox-banner", "127.0.0.1", { timeout: 60000 });
    return body(app);
  });
}

/** The sandbox admin profile the app wrote under its config dir (its throwaway key). */
export function sandboxAdmin(configDir) {
  const aws = path.join(configDir, "sandbox", "aws");
  const creds = readFileSync(path.join(aws, "credentials"), "utf8");
  const config = readFileSync(path.join(aws, "config"), "utf8");
  const field = (text, name) => text.match(new RegExp(`^${name}\\s*=\\s*(.+)$`, "m"))[1].trim();
  return {
    keyId: field(creds, "aws_access_key_id"),
    secret: field(creds, "aws_secret_access_key"),
    endpoint: field(config, "endpoint_url"),
  };
}

/**
 * Runs `body(app)` against a freshly started app and always closes it. On failure a
 * screenshot `<name>-failure.png` is saved and the driver's log tail is added to the error.
 */
export async function withApp(options, body) {
  const app = await App.start(options);
  try {
    return await body(app);
  } catch (thrown) {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    try {
      const file = await app.screenshot("failure");
      error.message += `\n(screenshot: ${file})`;
    } catch {
      // no screenshot possible: the app is probably gone
    }
    error.message += `\n--- tauri-driver log ---\n${app.driverLog}`;
    throw error;
  } finally {
    await app.close();
  }
}
