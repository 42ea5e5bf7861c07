// The frame of the pages shown before logon: a centred card with the language switch.
import type { ReactNode } from 'react';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { useT } from '../session';

export function AnonymousFrame({ title, children }: { title: string; children: ReactNode }) {
  const t = useT();
  return (
    <div className="anon">
      <div className="anon-card">
        <div className="anon-brand">
          <span className="brand-mark">関守</span> Sekimori
          <LanguageSwitch />
        </div>
        <h1>{title}</h1>
        <p className="muted">{t('shell.console')}</p>
        {children}
      </div>
    </div>
  );
}
