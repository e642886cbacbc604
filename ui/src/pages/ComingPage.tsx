// A section whose screens arrive with a later issue: its title and one sentence, nothing more.

import { useId } from "react";
import type { PlainMessageKey } from "../i18n/catalog";
import { useI18n } from "../i18n/context";

interface Props {
  testId: string;
  title: PlainMessageKey & `${string}.title`;
  coming: PlainMessageKey & `${string}.coming`;
}

export function ComingPage({ testId, title, coming }: Props) {
  const { t } = useI18n();
  const id = useId();
  return (
    <section className="page" data-testid={testId} aria-labelledby={id}>
      <h1 id={id}>{t(title)}</h1>
      <p className="coming">{t(coming)}</p>
    </section>
  );
}
