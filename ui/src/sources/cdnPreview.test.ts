import { describe, expect, it } from "vitest";
import fixture from "../fixtures/cdn-urls.json";
import { objectPath } from "./rules";
import { PRESETS, isImage, optionPairs, thumbnailUrl, NO_OPTIONS } from "./cdnPreview";

/** The cases whose production path the given path encoder gets wrong. */
function pathMismatches(encode: (source: string, key: string) => string): string[] {
  return fixture.cases
    .filter((c) => {
      const expected = new URL(c.urls.production).pathname;
      return encode(c.source, c.key) !== expected;
    })
    .map((c) => c.key);
}

describe("URLs in the UI agree with the core's fixture (src-tauri/tests/it/fixtures.rs)", () => {
  it("encodes every key's path as the core does", () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(20);
    expect(pathMismatches((source, key) => objectPath("image", source, key))).toEqual([]);
  });

  it("notices an encoder that disagrees with the core", () => {
    const naive = (source: string, key: string) =>
      `/image/${source}/${key.replace(/^\/+/, "").split("/").map(encodeURIComponent).join("/")}`;
    expect(pathMismatches(naive), "encodeURIComponent leaves !*'() as they are").toContain("배너/메인 (가을)!*'.jpg");
  });

  it("builds row thumbnails from the core's thumbnail query", () => {
    const endpoint = { baseUrl: fixture.baseUrl, token: fixture.token, thumbnailQuery: fixture.thumbnailQuery, gridTileQuery: fixture.gridTileQuery };
    const thumb = fixture.cases.find((c) => c.urls.query === fixture.thumbnailQuery);
    expect(thumb, "the fixture has the thumbnail case").toBeDefined();
    expect(thumbnailUrl(endpoint, thumb!.source, thumb!.key)).toBe(thumb!.urls.local);
    const tile = fixture.cases.find((c) => c.urls.query === fixture.gridTileQuery);
    expect(tile, "the fixture has the grid tile case").toBeDefined();
    expect(thumbnailUrl(endpoint, tile!.source, tile!.key, "tile")).toBe(tile!.urls.local);
  });

  it("asks the core for each preset with the fields as typed", () => {
    for (const preset of PRESETS) {
      const pairs = optionPairs(preset.options);
      expect(
        fixture.cases.some((c) => JSON.stringify(c.options) === JSON.stringify(pairs)),
        `the fixture scripts the ${preset.id} preset`,
      ).toBe(true);
    }
    expect(optionPairs({ ...NO_OPTIONS, w: " 400 ", rotate: "-90" })).toEqual([
      ["w", "400"],
      ["rotate", "-90"],
    ]);
  });

  it("knows images by type or extension", () => {
    expect(isImage("a/b.JPG")).toBe(true);
    expect(isImage("a/b", "image/png")).toBe(true);
    expect(isImage("notes.txt", "text/plain")).toBe(false);
  });
});
