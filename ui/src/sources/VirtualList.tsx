// A virtualized list with a fixed row height: only the rows in view (plus a few either side)
// are in the DOM, positioned absolutely inside a spacer as tall as the whole list, so 100,000
// rows cost what 30 do. `onNearEnd` asks for more when the view comes within `nearEnd` rows of
// the end (lazy paging). Remount it (a React `key`) to start again at the top.

import { Fragment, useEffect, useRef, useState, type CSSProperties, type ReactNode } from "react";
import { visibleRange } from "./rules";

export interface VirtualListProps<T> {
  items: readonly T[];
  rowHeight: number;
  /** Height of the scrolling viewport in pixels. */
  height: number;
  itemKey: (item: T) => string;
  /** Renders one row; `style` places it and must be applied to the row's root element. */
  renderRow: (item: T, index: number, style: CSSProperties) => ReactNode;
  onNearEnd?: () => void;
  nearEnd?: number;
  overscan?: number;
  className?: string;
  testId?: string;
}

export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, rowHeight, height, nearEnd = 20, overscan = 8 } = props;
  const [scrollTop, setScrollTop] = useState(0);
  const { start, end } = visibleRange(scrollTop, height, rowHeight, items.length, overscan);

  // The latest callback, without making the effect below run on every render.
  const onNearEnd = useRef(props.onNearEnd);
  useEffect(() => {
    onNearEnd.current = props.onNearEnd;
  });
  useEffect(() => {
    if (end >= items.length - nearEnd) onNearEnd.current?.();
  }, [end, items.length, nearEnd]);

  const rows: ReactNode[] = [];
  for (let index = start; index < end; index += 1) {
    const item = items[index] as T;
    const style: CSSProperties = { position: "absolute", top: index * rowHeight, height: rowHeight, left: 0, right: 0 };
    rows.push(<Fragment key={props.itemKey(item)}>{props.renderRow(item, index, style)}</Fragment>);
  }

  return (
    <div
      className={props.className}
      data-testid={props.testId}
      style={{ height, overflowY: "auto", position: "relative" }}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div style={{ height: items.length * rowHeight, position: "relative" }}>{rows}</div>
    </div>
  );
}
