import { describe, expect, it } from "vitest";
import { catalogs, interpolate, placeholdersOf, resolveLanguage, translator } from "./catalog";
import { en } from "./en";
import { ko } from "./ko";

describe("catalogs", () => {
  it("have the same keys in every language", () => {
    const english = Object.keys(en).sort();
    expect(Object.keys(ko).sort(), "ko.ts must have exactly en.ts's keys").toEqual(english);
  });

  it("have no empty or blank messages", () => {
    for (const [language, catalog] of Object.entries(catalogs)) {
      for (const [key, message] of Object.entries(catalog)) {
        expect(message.trim(), `${language} ${key} is empty`).not.toBe("");
      }
    }
  });

  it("use the same placeholders in every language", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholdersOf(ko[key]), `ko ${key} must interpolate what en does`).toEqual(
        placeholdersOf(en[key]),
      );
    }
  });

  it("name the navigation in both languages", () => {
    expect(translator("en")("nav.sources")).toBe("Sources");
    expect(translator("ko")("nav.sources")).toBe("소스");
    expect(translator("ko")("nav.buckets")).toBe("버킷");
    expect(translator("ko")("nav.settings")).toBe("설정");
  });
});

describe("interpolation", () => {
  it("gives a count its noun in the language's singular or plural form", () => {
    expect(interpolate("en", "Uploaded {count:file|files}.", { count: 1 })).toBe("Uploaded 1 file.");
    expect(interpolate("en", "Uploaded {count:file|files}.", { count: 2 })).toBe("Uploaded 2 files.");
    expect(interpolate("en", "{count:file|files}", { count: 0 })).toBe("0 files");
    expect(interpolate("en", "{count:file|files}", { count: 1200 })).toBe("1,200 files");
    expect(placeholdersOf("{count:file|files} into {prefix}")).toEqual(["count", "prefix"]);
    expect(translator("en")("transfer.uploaded", { count: 1, prefix: "a/" })).toBe("Uploaded 1 file into a/.");
    expect(translator("ko")("transfer.uploaded", { count: 1, prefix: "a/" })).not.toContain("file");
  });

  it("fills every placeholder, numbers formatted for the language", () => {
    const t = translator("en");
    const text = t("sandbox.ready", {
      endpoint: "http://127.0.0.1:4566",
      bucket: "photos",
      objects: 12345,
      profile: "sandbox",
    });
    expect(text).toContain("http://127.0.0.1:4566");
    expect(text).toContain("bucket photos");
    expect(text).toContain("12,345 objects");
    expect(text).not.toMatch(/\{\w+\}/);
  });

  it("fills Korean messages too", () => {
    expect(translator("ko")("config.keptAt", { path: "/c/config.toml.bak" })).toContain(
      "/c/config.toml.bak에 보관",
    );
  });

  it("keeps a placeholder that has no value visible rather than dropping it", () => {
    expect(interpolate("en", "a {x} b {y}", { x: 1 })).toBe("a 1 b {y}");
  });

  it("does not treat replacement patterns in values specially", () => {
    expect(interpolate("en", "at {path}", { path: "C:\\$&$1" })).toBe("at C:\\$&$1");
  });

  it("is checked by the compiler", () => {
    const t = translator("en");
    // @ts-expect-error: sandbox.failed needs its {message}
    t("sandbox.failed");
    // @ts-expect-error: nav.sources takes no parameters
    t("nav.sources", { x: 1 });
    // @ts-expect-error: not a key
    t("nav.nothing");
    expect(t("sandbox.failed", { message: "m" })).toContain("m");
  });
});

describe("language", () => {
  it("is the saved choice when there is one", () => {
    expect(resolveLanguage("ko", "en")).toBe("ko");
    expect(resolveLanguage("en", "ko")).toBe("en");
  });

  it("is the OS language when nothing is saved", () => {
    expect(resolveLanguage(null, "ko")).toBe("ko");
    expect(resolveLanguage(null, "en")).toBe("en");
  });
});
