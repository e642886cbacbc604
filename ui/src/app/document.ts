// What the app sets on <html>: the language (for screen readers, fonts and hyphenation) and
// the theme the stylesheet keys its colours on ("system" leaves it to prefers-color-scheme).

import type { Language, Theme } from "../bindings";

export function applyToDocument(root: HTMLElement, language: Language, theme: Theme): void {
  root.lang = language;
  root.dataset.theme = theme;
}

/** Before the core has answered, the webview's own language is the best guess. */
export function browserLanguage(languages: readonly string[]): Language {
  const first = languages[0]?.toLowerCase() ?? "";
  return first.startsWith("ko") ? "ko" : "en";
}
