import { describe, expect, it } from "vitest";
import { NO_OPTIONS, isImage, localFileUrl, localUrl, optionProblem, optionQuery, productionUrl } from "./cdnPreview";

const endpoint = { baseUrl: "http://127.0.0.1:7390", token: "t0k/en+=" };

describe("the CDN URL builder", () => {
  it("writes the options in a fixed order and leaves unset ones out", () => {
    expect(optionQuery(NO_OPTIONS)).toBe("");
    expect(optionQuery({ ...NO_OPTIONS, rotate: "90", f: "webp", w: "400", h: "300", fit: "cover", position: "top", q: "70" })).toBe(
      "w=400&h=300&fit=cover&p=top&f=webp&q=70&rotate=90",
    );
    expect(optionQuery({ ...NO_OPTIONS, f: "png", q: "70" }), "quality means nothing for PNG").toBe("f=png");
    expect(optionQuery({ ...NO_OPTIONS, rotate: "0" })).toBe("");
  });

  it("puts the token only into the local URL", () => {
    const o = { ...NO_OPTIONS, w: "400" };
    const prod = productionUrl("shop", "제품 이미지/벚꽃 01.jpg", o);
    expect(prod).toBe("https://cdn.weekerp.com/image/shop/%EC%A0%9C%ED%92%88%20%EC%9D%B4%EB%AF%B8%EC%A7%80/%EB%B2%9A%EA%BD%83%2001.jpg?w=400");
    expect(prod).not.toContain("token");
    const local = localUrl(endpoint, "shop", "제품 이미지/벚꽃 01.jpg", o);
    expect(local).toBe(`http://127.0.0.1:7390${prod.slice("https://cdn.weekerp.com".length)}&token=t0k%2Fen%2B%3D`);
    expect(localUrl(endpoint, "shop", "a.jpg", NO_OPTIONS)).toBe("http://127.0.0.1:7390/image/shop/a.jpg?token=t0k%2Fen%2B%3D");
    expect(localFileUrl(endpoint, "shop", "a b.png")).toBe("http://127.0.0.1:7390/file/shop/a%20b.png?token=t0k%2Fen%2B%3D");
  });

  it("names the option that is out of range", () => {
    expect(optionProblem({ ...NO_OPTIONS, w: "400", h: "300", q: "100", rotate: "-360" })).toBeNull();
    expect(optionProblem({ ...NO_OPTIONS, w: "0" })).toEqual({ option: "w", min: 1, max: 8192 });
    expect(optionProblem({ ...NO_OPTIONS, h: "9000" })?.option).toBe("h");
    expect(optionProblem({ ...NO_OPTIONS, q: "1.5" })?.option).toBe("q");
    expect(optionProblem({ ...NO_OPTIONS, rotate: "400" })?.option).toBe("rotate");
  });

  it("knows images by type or extension", () => {
    expect(isImage("a/b.JPG")).toBe(true);
    expect(isImage("a/b", "image/png")).toBe(true);
    expect(isImage("notes.txt", "text/plain")).toBe(false);
  });
});
