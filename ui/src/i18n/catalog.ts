// Message lookup: catalogs per language, `{name}` interpolation, and which language to use.

import type { Language } from "../bindings";
import { en } from "./en";
import { ko } from "./ko";

type English = typeof en;
export type MessageKey = keyof English;
/** What every language's catalog must be: exactly English's keys, each a string. */
export type Catalog = { readonly [K in MessageKey]: string };

/** A placeholder's name: `count` of `{count}` and of `{count:file|files}`. */
type NameOf<P extends string> = P extends `${infer Name}:${string}` ? Name : P;

/** The `{name}` placeholders in an English message, as a union of names. */
type Placeholders<S extends string> = S extends `${string}{${infer Name}}${infer Rest}`
  ? NameOf<Name> | Placeholders<Rest>
  : never;

export type MessageParams<K extends MessageKey> = {
  readonly [P in Placeholders<English[K]>]: string | number;
};

/** Messages with placeholders require their values; messages without take none. */
export type MessageArgs<K extends MessageKey> = [Placeholders<English[K]>] extends [never]
  ? []
  : [params: MessageParams<K>];

/** Keys of messages that take no parameters: safe to pass around as data. */
export type PlainMessageKey = {
  [K in MessageKey]: MessageArgs<K> extends [] ? K : never;
}[MessageKey];

export type Translate = <K extends MessageKey>(key: K, ...args: MessageArgs<K>) => string;

export const catalogs: { readonly [L in Language]: Catalog } = { en, ko };

export const languages: readonly Language[] = ["ko", "en"];

/**
 * `{name}`, or `{name:one|other}` for a count with its noun: "1 file", "2 files" (the
 * language's plural rules pick the form; Korean messages need no forms).
 */
const PLACEHOLDER = /\{(\w+)(?::([^|}]*)\|([^}]*))?\}/g;

/** The placeholder names used in a message, sorted, for comparing catalogs. */
export function placeholdersOf(message: string): string[] {
  return [...message.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "").sort();
}

export function interpolate(
  language: Language,
  message: string,
  params: Readonly<Record<string, string | number>> | undefined,
): string {
  if (!params) return message;
  const numbers = new Intl.NumberFormat(language);
  const plurals = new Intl.PluralRules(language);
  return message.replace(PLACEHOLDER, (whole, name: string, one?: string, other?: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    if (typeof value !== "number") return one === undefined ? value : `${value} ${other}`;
    const shown = numbers.format(value);
    if (one === undefined) return shown;
    return `${shown} ${plurals.select(value) === "one" ? one : other}`;
  });
}

export function translator(language: Language): Translate {
  const catalog = catalogs[language];
  return (key, ...args) => interpolate(language, catalog[key], args[0]);
}

/** The saved choice wins; with none saved, the OS language the core detected. */
export function resolveLanguage(saved: Language | null | undefined, osLanguage: Language): Language {
  return saved ?? osLanguage;
}
