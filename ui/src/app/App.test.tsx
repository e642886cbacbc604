// @vitest-environment happy-dom
// The whole window on the in-memory backend: the flows the GUI end-to-end tests also cover,
// here in milliseconds and with the exact selectors they use.

import { act } from "react";
import { describe, expect, it } from "vitest";
import { MemoryBackend, defaultSettings } from "../backend/memory";
import { byTestId, choose, click, dom, query, render, restart, type } from "../test/dom";

describe("App", () => {
  it("opens on Sources in the OS language when none is saved", async () => {
    const backend = new MemoryBackend({ info: { osLanguage: "ko" } });
    await render(backend);
    expect(byTestId("app-title").textContent).toBe("Bucketdesk");
    expect(query("page-sources")).not.toBeNull();
    expect(byTestId("nav-sources").textContent).toBe("소스");
    expect(byTestId<HTMLSelectElement>("language-select").value).toBe("ko");
    expect(document.documentElement.lang).toBe("ko");
    expect(query("sources-empty")?.textContent, "the empty list says what a source is").toContain("소스는 Weekerp가 이미지를 가져오는 버킷");
    expect(query("sources-add"), "and offers to add one").not.toBeNull();
    expect(query("sources-add-sandbox"), "no sandbox offer outside the sandbox").toBeNull();
  });

  it("lists sources with their masked key IDs", async () => {
    const backend = new MemoryBackend({
      sources: [{ name: "photos", bucket: "b1", region: "ap-northeast-2", basePath: "/assets", keyIdMasked: "AKIA…ABCD", endpointUrl: null, addedAt: "2026-01-01T00:00:00Z", lastVerified: null }],
    });
    await render(backend);
    const row = byTestId("source-row");
    expect([...row.querySelectorAll("td")].slice(0, 5).map((td) => td.firstElementChild?.textContent ?? td.textContent)).toEqual([
      "photos",
      "b1",
      "ap-northeast-2",
      "/assets",
      "AKIA…ABCD",
    ]);
    expect(row.querySelector('[data-testid="source-verified"]')?.textContent).toBe("never");
    expect(row.querySelector('[data-testid="source-badge-weekerp"]')?.textContent, "not confirmed in Weekerp yet").toBe("Not yet in Weekerp");
  });

  it("switches language at once, saves it, and keeps it on the next start", async () => {
    const backend = new MemoryBackend({ info: { osLanguage: "en" } });
    await render(backend);
    expect(byTestId("nav-settings").textContent).toBe("Settings");

    await choose("language-select", "ko");
    expect(byTestId("nav-settings").textContent).toBe("설정");
    expect(document.documentElement.lang).toBe("ko");
    expect(backend.settings.language, "the choice is saved through saveSettings").toBe("ko");

    await restart(backend);
    expect(byTestId("nav-buckets").textContent).toBe("버킷");
  });

  it("puts the language back and shows the error when saving it fails", async () => {
    const backend = new MemoryBackend({ info: { osLanguage: "en" } });
    await render(backend);
    backend.failNext("saveSettings", "io", "disk full");
    await choose("language-select", "ko");
    expect(byTestId<HTMLSelectElement>("language-select").value).toBe("en");
    expect(byTestId("toast").textContent).toContain("disk full");
  });

  it("navigates to each page", async () => {
    await render(new MemoryBackend());
    for (const page of ["iam", "buckets", "settings", "sources"]) {
      await click(`nav-${page}`);
      expect(query(`page-${page}`), `page-${page} after clicking nav-${page}`).not.toBeNull();
      expect(byTestId(`nav-${page}`).getAttribute("aria-current")).toBe("page");
    }
  });

  it("saves settings from the form and shows the config folder", async () => {
    const backend = new MemoryBackend();
    await render(backend);
    await click("nav-settings");
    expect(byTestId("settings-config-dir").textContent).toBe(backend.info.configDir);

    await type("settings-cdn-port", "9100");
    await click("settings-save");
    expect(backend.settings).toEqual({ ...defaultSettings, cdnPort: 9100 });

    await choose("settings-theme", "dark");
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(backend.settings.theme).toBe("dark");
    expect(backend.settings.cdnPort, "a theme change keeps the saved port").toBe(9100);
  });

  it("points at a field the core would refuse, without saving", async () => {
    const backend = new MemoryBackend();
    await render(backend);
    await click("nav-settings");
    await type("settings-cdn-port", "80");
    await click("settings-save");
    expect(byTestId("settings-cdn-port").getAttribute("aria-invalid")).toBe("true");
    expect(byTestId("page-settings").textContent).toContain("1024 to 65535");
    expect(backend.calls.saveSettings).toBe(0);
  });

  it("shows a failed source listing as a dismissable message", async () => {
    const backend = new MemoryBackend();
    backend.failNext("listSources", "io", "config.json: permission denied");
    await render(backend);
    expect(byTestId("toast").textContent).toContain("permission denied");
    await act(async () => byTestId("toast").querySelector("button")?.click());
    expect(query("toast")).toBeNull();
  });

  it("shows a corrupt config full-page and starts fresh after setting it aside", async () => {
    const backend = new MemoryBackend({ config: "corrupt" });
    await render(backend);
    expect(byTestId("config-error").textContent).toContain("config.json");
    expect(query("nav-sources"), "no navigation while the config is unreadable").toBeNull();
    expect(query("language-select"), "the language can still be changed").not.toBeNull();

    await click("config-set-aside");
    expect(query("config-error")).toBeNull();
    expect(query("page-sources")).not.toBeNull();
    expect(byTestId("config-set-aside-notice").textContent).toContain(backend.setAside[0]);
  });

  it("keeps a language picked on the config error page once settings exist again", async () => {
    const backend = new MemoryBackend({ config: "corrupt", info: { osLanguage: "en" } });
    await render(backend);
    await choose("language-select", "ko");
    expect(byTestId("config-set-aside").textContent).toBe("파일을 옮겨 두고 새로 시작");
    expect(backend.calls.saveSettings, "nothing is saved over the unreadable file").toBe(0);

    await click("config-set-aside");
    expect(byTestId("nav-sources").textContent).toBe("소스");
    expect(backend.settings.language).toBe("ko");
  });

  it("stays on the config error and reports it when setting aside fails", async () => {
    const backend = new MemoryBackend({ config: "too_new" });
    await render(backend);
    backend.failNext("setAsideConfig", "io", "read-only file system");
    await click("config-set-aside");
    expect(query("config-error")).not.toBeNull();
    expect(byTestId("toast").textContent).toContain("read-only file system");
  });

  it("shows the sandbox banner with endpoint, bucket and object count", async () => {
    const backend = new MemoryBackend({
      info: {
        sandbox: { state: "ready", endpoint: "http://127.0.0.1:4566", bucket: "photos", region: "us-east-1", profile: "p", objects: 1200 },
      },
    });
    await render(backend);
    const banner = byTestId("sandbox-banner");
    expect(banner.textContent).toContain("http://127.0.0.1:4566");
    expect(banner.textContent).toContain("photos");
    expect(banner.textContent).toContain("1,200 objects");
    expect(query("sandbox-keychain"), "the session's own keychain: no note").toBeNull();
    expect(banner.textContent).toContain("AWS");
  });

  it("says the sandbox is starting, then shows it ready without a restart", async () => {
    const backend = new MemoryBackend({ info: { sandbox: { state: "starting" } } });
    await render(backend);
    expect(byTestId("sandbox-banner").dataset.state).toBe("starting");
    backend.setSandbox({ state: "ready", endpoint: "http://127.0.0.1:4566", bucket: "photos", region: "us-east-1", profile: "p", objects: 3 });
    await act(() => new Promise((resolve) => setTimeout(resolve, 600)));
    expect(byTestId("sandbox-banner").dataset.state).toBe("ready");
  });

  it("shows a failed sandbox with its message", async () => {
    await render(new MemoryBackend({ info: { sandbox: { state: "failed", message: "port 4566 is in use" } } }));
    expect(byTestId("sandbox-banner").textContent).toContain("port 4566 is in use");
  });

  it("shows no sandbox banner when the sandbox is off", async () => {
    await render(new MemoryBackend());
    expect(query("sandbox-banner")).toBeNull();
  });
});
