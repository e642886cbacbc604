import { describe, expect, it } from "vitest";

import {
  cdnUrl,
  humanSize,
  isValidBucket,
  isValidEndpoint,
  isValidName,
  normalizeBasePath,
  parseAccessKeysCsv,
  relativeAge,
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
    expect(normalizeBasePath("/assets")).toBe("/assets");
    expect(normalizeBasePath("/assets/")).toBe("/assets");
    expect(normalizeBasePath("a//b/")).toBe("/a/b");
    expect(normalizeBasePath("/a/../b")).toBeNull();
    expect(normalizeBasePath("./a")).toBeNull();
    expect(normalizeBasePath("a\tb"), "control characters").toBeNull();
    expect(normalizeBasePath("가".repeat(171)), "512 bytes at most (UTF-8)").toBeNull();
    expect(normalizeBasePath("가".repeat(170))).toBe(`/${"가".repeat(170)}`);
  });

  it("checks endpoint URLs like the core", () => {
    for (const ok of ["http://127.0.0.1:9000", "https://s3.example.com/", "https://minio.local/path"]) {
      expect(isValidEndpoint(ok), ok).toBe(true);
    }
    for (const bad of ["s3.example.com", "https://", "ftp://x", "https://user@host", "https://a b"]) {
      expect(isValidEndpoint(bad), bad).toBe(false);
    }
  });

  it("checks bucket names", () => {
    expect(isValidBucket("my.bucket-1")).toBe(true);
    for (const bad of ["ab", "Bucket", "-abc", "abc.", "a..b", "a_b"]) expect(isValidBucket(bad), bad).toBe(false);
  });

  it("encodes Korean and spaces per segment in CDN URLs", () => {
    expect(cdnUrl("shop", "제품 이미지/벚꽃 01.jpg")).toBe(
      "https://cdn.weekerp.com/image/shop/%EC%A0%9C%ED%92%88%20%EC%9D%B4%EB%AF%B8%EC%A7%80/%EB%B2%9A%EA%BD%83%2001.jpg",
    );
    expect(cdnUrl("shop", "/a b/c.jpg"), "a leading slash is not a segment").toBe("https://cdn.weekerp.com/image/shop/a%20b/c.jpg");
    expect(cdnUrl("shop", "plain-name_1.~x.png")).toBe("https://cdn.weekerp.com/image/shop/plain-name_1.~x.png");
  });

  it("encodes like the core's encode_segment, which keeps only RFC 3986 unreserved characters", () => {
    expect(cdnUrl("shop", "배너/메인 (가을)!*'.jpg")).toBe(
      "https://cdn.weekerp.com/image/shop/%EB%B0%B0%EB%84%88/%EB%A9%94%EC%9D%B8%20%28%EA%B0%80%EC%9D%84%29%21%2A%27.jpg",
    );
    expect(cdnUrl("shop", "a+b&c=d#e?.jpg")).toBe("https://cdn.weekerp.com/image/shop/a%2Bb%26c%3Dd%23e%3F.jpg");
  });

  it("reads the AWS console's access key CSV, with a BOM and CRLF", () => {
    const key = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
    const csv = "\uFEFFAccess key ID,Secret access key\r\nAKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\r\n";
    expect(parseAccessKeysCsv(csv)).toEqual({ ok: true, key });
    expect(parseAccessKeysCsv(csv.replace("\uFEFF", "")), "without a BOM").toEqual({ ok: true, key });
    expect(parseAccessKeysCsv(csv.replaceAll("\r\n", "\n")), "LF only").toEqual({ ok: true, key });
  });

  it("reads the older console CSV (user name first) and quoted cells, using the first data row", () => {
    const older =
      "User name,Password,Access key ID,Secret access key,Console login link\n" +
      "reader,,AKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY,https://123.signin.aws.amazon.com/console\n" +
      "other,,AKIAOTHER00000000000,otherSecretOtherSecret,\n";
    expect(parseAccessKeysCsv(older)).toMatchObject({ ok: true, key: { accessKeyId: "AKIAIOSFODNN7EXAMPLE" } });
    const quoted = '"Access key ID","Secret access key"\n"AKIAIOSFODNN7EXAMPLE","wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"';
    expect(parseAccessKeysCsv(quoted)).toMatchObject({ ok: true, key: { secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } });
  });

  it("names what is wrong with a file that is not a usable key CSV", () => {
    expect(parseAccessKeysCsv("")).toEqual({ ok: false, problem: "header" });
    expect(parseAccessKeysCsv("User name,Password\nbob,x")).toEqual({ ok: false, problem: "header" });
    expect(parseAccessKeysCsv("\uFEFF{\"AccessKeyId\": \"AKIA\"}")).toEqual({ ok: false, problem: "header" });
    expect(parseAccessKeysCsv("\uFEFFAccess key ID,Secret access key\r\n")).toEqual({ ok: false, problem: "noRow" });
    expect(parseAccessKeysCsv("Access key ID,Secret access key\nnot-a-key,secretsecret")).toEqual({ ok: false, problem: "keyId" });
    expect(parseAccessKeysCsv("Access key ID,Secret access key\nAKIAIOSFODNN7EXAMPLE,")).toEqual({ ok: false, problem: "secret" });
  });

  it("says how long ago, in the largest unit that fits", () => {
    const now = Date.parse("2026-11-22T12:00:00Z");
    expect(relativeAge("2026-11-22T11:59:30Z", "en", now)).toBe("now");
    expect(relativeAge("2026-11-22T11:55:00Z", "en", now)).toBe("5 minutes ago");
    expect(relativeAge("2026-11-22T09:00:00Z", "en", now)).toBe("3 hours ago");
    expect(relativeAge("2026-11-21T12:00:00Z", "en", now)).toBe("yesterday");
    expect(relativeAge("2026-11-21T12:00:00Z", "ko", now)).toBe("어제");
    expect(relativeAge("2026-08-22T12:00:00Z", "en", now)).toBe("3 months ago");
    expect(relativeAge("not a date", "en", now)).toBe("—");
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
