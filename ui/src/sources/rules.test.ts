import { describe, expect, it } from "vitest";

import {
  cdnUrl,
  humanSize,
  isValidBucket,
  isValidName,
  normalizeBasePath,
  parseAccessKeysCsv,
  visibleRange,
} from "./rules";

describe("source rules", () => {
  it("accepts identifiers the core accepts", () => {
    for (const ok of ["abc", "shop-images", "a1-b2", "a".repeat(63)]) expect(isValidName(ok), ok).toBe(true);
    for (const bad of ["ab", "-abc", "abc-", "Abc", "ab_c", "한글이름", "a b c", "a".repeat(64)]) {
      expect(isValidName(bad), bad).toBe(false);
    }
  });

  it("normalizes BasePaths like the core", () => {
    expect(normalizeBasePath("")).toBe("/");
    expect(normalizeBasePath("/")).toBe("/");
    expect(normalizeBasePath("assets")).toBe("/assets");
    expect(normalizeBasePath("assets/")).toBe("/assets");
    expect(normalizeBasePath("//a//b/")).toBe("/a/b");
    expect(normalizeBasePath("/제품 이미지/")).toBe("/제품 이미지");
    expect(normalizeBasePath("/a/../b")).toBeNull();
  });

  it("checks bucket names", () => {
    expect(isValidBucket("my.bucket-1")).toBe(true);
    for (const bad of ["ab", "Bucket", "-abc", "abc.", "a..b", "a_b"]) expect(isValidBucket(bad), bad).toBe(false);
  });

  it("encodes Korean and spaces per segment in CDN URLs", () => {
    expect(cdnUrl("shop", "제품 이미지/벚꽃 01.jpg")).toBe(
      "https://cdn.weekerp.com/image/shop/%EC%A0%9C%ED%92%88%20%EC%9D%B4%EB%AF%B8%EC%A7%80/%EB%B2%9A%EA%BD%83%2001.jpg",
    );
  });

  it("reads the AWS console's access key CSV, with a BOM and CRLF", () => {
    const csv = "\uFEFFAccess key ID,Secret access key\r\nAKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\r\n";
    expect(parseAccessKeysCsv(csv)).toEqual({
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    });
    expect(parseAccessKeysCsv("User name,Password\nbob,x")).toBeNull();
    expect(parseAccessKeysCsv("Access key ID,Secret access key\n")).toBeNull();
  });

  it("formats sizes", () => {
    expect(humanSize(999)).toBe("999 B");
    expect(humanSize(1_234_567)).toBe("1.2 MB");
  });

  it("windows a 100,000-row list to what is visible", () => {
    expect(visibleRange(0, 400, 32, 100_000)).toEqual({ start: 0, end: 21 });
    const deep = visibleRange(32 * 50_000, 400, 32, 100_000);
    expect(deep).toEqual({ start: 49_992, end: 50_021 });
    expect(deep.end - deep.start).toBeLessThan(40);
    expect(visibleRange(32 * 99_999, 400, 32, 100_000).end).toBe(100_000);
  });
});
