// Loads the session, then shows the first-start page, the logon page or the console.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, onUnauthorized, setCsrfToken } from './api';
import { resolveLanguage, translator, type LanguageSetting } from './i18n';
import { SessionContext, type SessionContextValue, type SessionInfo } from './session';
import { Shell } from './components/Shell';
import { LogonPage } from './pages/Logon';
import { SetupPasswordPage } from './pages/SetupPassword';
import { ErrorMessage } from './components/common';

/** Before logon the language follows the browser, or the visitor's choice on the logon page. */
const LANGUAGE_KEY = 'sekimori.language';

export function App() {
  const [session, setSession] = useState<SessionInfo>();
  const [error, setError] = useState<unknown>();
  const [anonymousLanguage, setAnonymousLanguage] = useState<LanguageSetting>(
    () => (window.localStorage.getItem(LANGUAGE_KEY) as LanguageSetting | null) ?? 'auto',
  );

  const refresh = useCallback(async () => {
    try {
      const s = await api.get<SessionInfo>('/session');
      setCsrfToken(s.csrfToken);
      setSession(s);
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  }, []);

  useEffect(() => {
    onUnauthorized(() => {
      setCsrfToken(undefined);
      setSession((s) => (s ? { setupRequired: false, logonNotice: s.logonNotice } : s));
    });
    void refresh();
  }, [refresh]);

  const languageSetting = session?.account ? (session.language ?? 'auto') : anonymousLanguage;
  const language = resolveLanguage(languageSetting);
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);

  const value = useMemo<SessionContextValue | null>(() => {
    if (!session) return null;
    return {
      session,
      language,
      t: translator(language),
      refresh,
      async setLanguage(l) {
        if (session.account) {
          // Switch at once; the server keeps it for the next logon.
          setSession({ ...session, language: l });
          await api.put('/session/language', { language: l });
        } else {
          window.localStorage.setItem(LANGUAGE_KEY, l);
          setAnonymousLanguage(l);
        }
      },
      async logoff() {
        try {
          await api.del('/session');
        } finally {
          setCsrfToken(undefined);
          await refresh();
        }
      },
    };
  }, [session, language, refresh]);

  if (!value) {
    const t = translator(language);
    return (
      <div className="boot">{error ? <ErrorMessageStandalone error={error} /> : t('common.loading')}</div>
    );
  }
  return (
    <SessionContext.Provider value={value}>
      {session!.setupRequired ? <SetupPasswordPage /> : session!.account ? <Shell /> : <LogonPage />}
    </SessionContext.Provider>
  );
}

/** The error box needs a translator; before the session is known it gets a minimal one. */
function ErrorMessageStandalone({ error }: { error: unknown }) {
  const language = resolveLanguage('auto');
  const value: SessionContextValue = {
    session: { setupRequired: false },
    language,
    t: translator(language),
    refresh: async () => window.location.reload(),
    setLanguage: async () => undefined,
    logoff: async () => undefined,
  };
  return (
    <SessionContext.Provider value={value}>
      <ErrorMessage error={error} />
    </SessionContext.Provider>
  );
}
