// @vitest-environment happy-dom
// The virtualized list at 100,000 rows: what is in the DOM, where the rows sit, and when it
// asks for more.

import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { VirtualList } from "./VirtualList";

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

const ROW = 32;
const HEIGHT = 480;
const items = Array.from({ length: 100_000 }, (_, i) => `사진 폴더/이미지 ${String(i).padStart(6, "0")}.jpg`);

let container: HTMLElement;
let root: Root;
beforeEach(() => {
  container = document.createElement("div");
  document.body.append(container);
  root = createRoot(container);
});
afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

function show(onNearEnd: () => void, list: readonly string[] = items) {
  act(() =>
    root.render(
      <VirtualList
        items={list}
        rowHeight={ROW}
        height={HEIGHT}
        testId="list"
        itemKey={(item) => item}
        onNearEnd={onNearEnd}
        renderRow={(item, index, style) => (
          <div className="row" data-index={index} style={style}>
            {item}
          </div>
        )}
      />,
    ),
  );
}

const rendered = () => [...container.querySelectorAll<HTMLElement>(".row")];
const viewport = () => container.querySelector<HTMLElement>('[data-testid="list"]')!;

function scrollTo(top: number) {
  act(() => {
    viewport().scrollTop = top;
    viewport().dispatchEvent(new Event("scroll", { bubbles: true }));
  });
}

describe("VirtualList", () => {
  it("renders only the visible rows of 100,000, in a spacer as tall as all of them", () => {
    const nearEnd = vi.fn();
    show(nearEnd);
    expect(rendered()).toHaveLength(Math.ceil(HEIGHT / ROW) + 8);
    expect((viewport().firstElementChild as HTMLElement).style.height).toBe(`${100_000 * ROW}px`);
    expect(rendered()[0]!.textContent).toBe("사진 폴더/이미지 000000.jpg");
    expect(nearEnd).not.toHaveBeenCalled();
  });

  it("moves the window when scrolled, keeping the DOM small", () => {
    const nearEnd = vi.fn();
    show(nearEnd);
    scrollTo(50_000 * ROW);
    const rows = rendered();
    expect(rows.length).toBeLessThan(40);
    expect(rows[0]!.dataset.index).toBe("49992");
    expect(rows.some((r) => r.textContent === "사진 폴더/이미지 050000.jpg")).toBe(true);
    expect(rows.find((r) => r.dataset.index === "50000")!.style.top).toBe(`${50_000 * ROW}px`);
    expect(nearEnd).not.toHaveBeenCalled();
  });

  it("asks for more near the end, and again once more rows arrived", () => {
    const nearEnd = vi.fn();
    show(nearEnd);
    scrollTo((100_000 - 20) * ROW);
    expect(nearEnd).toHaveBeenCalledTimes(1);
    expect(rendered().at(-1)!.dataset.index).toBe("99999");
    show(nearEnd, [...items, "더 불러온 항목.jpg"]);
    expect(nearEnd).toHaveBeenCalledTimes(2);
  });

  it("asks for more at once when the first page does not fill the view", () => {
    const nearEnd = vi.fn();
    show(nearEnd, items.slice(0, 5));
    expect(rendered()).toHaveLength(5);
    expect(nearEnd).toHaveBeenCalledTimes(1);
  });
});
