// The core's verdict on each typed value of a source form (`checkSourceField`): asked as
// the value changes, remembered per field, value and language, so the form shows the
// core's own message and never re-implements its rules.

import { useEffect, useRef, useState } from "react";
import type { Backend, FieldCheck, FormField } from "../backend/backend";
import { useI18n } from "../i18n/context";

export interface FieldChecks {
  /** The core's answer for this value, or `undefined` while it is being asked. */
  get(field: FormField, value: string): FieldCheck | undefined;
  /** The answer, asked now if it is not known yet (before moving on with Next). */
  ensure(field: FormField, value: string): Promise<FieldCheck>;
}

/** Asks the core about every `[field, value]` in `wanted` that it has not answered yet. */
export function useFieldChecks(backend: Backend, wanted: [FormField, string][], onError: (thrown: unknown) => void): FieldChecks {
  const { language } = useI18n();
  const [known, setKnown] = useState<Record<string, FieldCheck>>({});
  const asking = useRef(new Map<string, Promise<FieldCheck>>());
  const keyOf = (field: FormField, value: string) => `${language}\u0000${field}\u0000${value}`;

  const ask = (field: FormField, value: string): Promise<FieldCheck> => {
    const key = keyOf(field, value);
    const pending = asking.current.get(key);
    if (pending) return pending;
    const promise = backend.checkSourceField(field, value).then((check) => {
      setKnown((k) => ({ ...k, [key]: check }));
      return check;
    });
    asking.current.set(key, promise);
    promise.catch(() => asking.current.delete(key));
    return promise;
  };

  const wantedKey = JSON.stringify(wanted);
  useEffect(() => {
    for (const [field, value] of wanted) {
      if (known[keyOf(field, value)] === undefined) ask(field, value).catch(onError);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [wantedKey, language, backend]);

  return {
    get: (field, value) => known[keyOf(field, value)],
    ensure: (field, value) => {
      const found = known[keyOf(field, value)];
      return found ? Promise.resolve(found) : ask(field, value);
    },
  };
}
