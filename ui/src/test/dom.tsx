// The React-in-happy-dom harness the screen tests share: a fresh root per test, and the
// interactions a user makes, found by the `data-testid`s the GUI end-to-end tests use too.
// Import it from a test file that starts with `// @vitest-environment happy-dom`.

import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach } from "vitest";
import type { Backend } from "../backend/backend";
import { App } from "../app/App";

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean;
}
globalThis.IS_REACT_ACT_ENVIRONMENT = true;

export const dom = { container: null as unknown as HTMLElement, root: null as unknown as Root };

beforeEach(() => {
  dom.container = document.createElement("div");
  document.body.append(dom.container);
  dom.root = createRoot(dom.container);
});

afterEach(() => {
  act(() => dom.root.unmount());
  dom.container.remove();
});

/** Starts the whole window on `backend`. */
export async function render(backend: Backend) {
  await act(async () => dom.root.render(<App backend={backend} />));
}

/** Unmounts and starts again on the same backend: what a restart of the app does. */
export async function restart(backend: Backend) {
  act(() => dom.root.unmount());
  dom.root = createRoot(dom.container);
  await render(backend);
}

export function byTestId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = dom.container.querySelector<T>(`[data-testid="${id}"]`);
  if (!found) throw new Error(`no element with data-testid="${id}" in: ${dom.container.innerHTML.slice(0, 600)}`);
  return found;
}

export const query = (id: string) => dom.container.querySelector<HTMLElement>(`[data-testid="${id}"]`);

export async function click(id: string) {
  await act(async () => byTestId(id).click());
}

export async function choose(id: string, value: string) {
  const select = byTestId<HTMLSelectElement>(id);
  await act(async () => {
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  });
}

export async function type(id: string, text: string) {
  const input = byTestId<HTMLInputElement>(id);
  await act(async () => {
    // React tracks the value it set; go through the native setter as a typing user would.
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")?.set?.call(input, text);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

/** Lets timers (debounces) and pending promises run. */
export async function settle(ms = 500) {
  await act(async () => new Promise((resolve) => setTimeout(resolve, ms)));
}
