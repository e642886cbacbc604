// The language picker: a native <select> (option values "ko" and "en") so it works with the
// keyboard and with WebDriver's select handling. Each language is named in itself.

import type { Language } from "../bindings";
import { languages } from "../i18n/catalog";
import { useI18n } from "../i18n/context";

interface Props {
  id?: string;
  testId: string;
  value: Language;
  onChange: (language: Language) => void;
  /** Accessible name when there is no visible <label for>. */
  ariaLabel?: string;
}

export function LanguageSelect({ id, testId, value, onChange, ariaLabel }: Props) {
  const { t } = useI18n();
  return (
    <select
      id={id}
      data-testid={testId}
      aria-label={ariaLabel}
      value={value}
      onChange={(event) => onChange(event.target.value as Language)}
    >
      {languages.map((language) => (
        <option key={language} value={language} lang={language}>
          {t(`language.${language}`)}
        </option>
      ))}
    </select>
  );
}
