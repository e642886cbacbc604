import { describe, expect, it } from "vitest";

import {
  humanSize,
  parseAccessKeysCsv,
  relativeAge,
  visibleRange,
} from "./rules";

describe("source rules", () => {
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
