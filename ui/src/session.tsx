// Who is logged on, what their role lets them do, and the language they read. Every page reads
// this through useSession(); the shell hides what the role cannot read.
import { createContext, useContext } from 'react';
import type { Language, LanguageSetting, Translate } from './i18n';

export const SECTIONS = [
  'dashboard',
  'system',
  'mail',
  'policy',
  'queue',
  'tracking',
  'quarantine',
  'accounts',
  'audit',
  'settings',
] as const;
export type Section = (typeof SECTIONS)[number];
export type Permission = 'none' | 'read' | 'write';

export interface SessionInfo {
  setupRequired: boolean;
  logonNotice?: string;
  account?: string;
  role?: string;
  permissions?: Partial<Record<Section, Permission>>;
  language?: LanguageSetting;
  csrfToken?: string;
}

export interface SessionContextValue {
  session: SessionInfo;
  language: Language;
  t: Translate;
  /** Reloads GET /session (after logon, logoff, language change). */
  refresh(): Promise<void>;
  setLanguage(language: LanguageSetting): Promise<void>;
  logoff(): Promise<void>;
}

export const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionContext');
  return value;
}

export function useT(): Translate {
  return useSession().t;
}

export function permissionOf(session: SessionInfo, section: Section): Permission {
  return session.permissions?.[section] ?? 'none';
}

export function useCanWrite(section: Section): boolean {
  return permissionOf(useSession().session, section) === 'write';
}
