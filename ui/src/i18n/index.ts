// The console's two languages. en.ts is the reference; ja.ts is typed against it, so a key
// missing from either one fails the UI build.
import { en } from './en';
import { ja } from './ja';

export type Messages = typeof en;
export type MessageKey = keyof Messages;
export type Language = 'ja' | 'en';
export type LanguageSetting = 'auto' | Language;

const catalogs: Record<Language, Record<MessageKey, string>> = { en, ja };

/** 'auto' follows the browser: Japanese when navigator.language starts with "ja". */
export function resolveLanguage(setting: LanguageSetting | undefined): Language {
  if (setting === 'ja' || setting === 'en') return setting;
  return navigator.language.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(language: Language): Translate {
  const catalog = catalogs[language];
  return (key, vars) => {
    let s = catalog[key] ?? en[key] ?? key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
    return s;
  };
}

/** For labels that come from data (section names, metric names): the key if it exists. */
export function hasKey(key: string): key is MessageKey {
  return key in en;
}
