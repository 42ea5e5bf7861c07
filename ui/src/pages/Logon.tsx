// The logon page, with the administrator's logon notice above the form.
import { useState, type FormEvent } from 'react';
import { api, setCsrfToken } from '../api';
import { ErrorMessage, Field, SubmitButton } from '../components/common';
import { PasswordField } from '../components/PasswordFields';
import { useAction } from '../hooks';
import { useSession } from '../session';
import { AnonymousFrame } from './AnonymousFrame';

export function LogonPage() {
  const { session, t, refresh } = useSession();
  const [account, setAccount] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const r = await api.post<{ csrfToken?: string }>(
        '/session',
        { account, password },
        { expectUnauthorized: true },
      );
      setCsrfToken(r?.csrfToken);
      await refresh();
    });
  };

  return (
    <AnonymousFrame title={t('logon.title')}>
      {session.logonNotice && (
        <div className="logon-notice" data-testid="logon-notice">
          {session.logonNotice}
        </div>
      )}
      <form onSubmit={submit} className="stack">
        <Field label={t('logon.account')}>
          <input
            autoFocus
            autoComplete="username"
            data-testid="logon-account"
            value={account}
            onChange={(e) => setAccount(e.target.value)}
          />
        </Field>
        <PasswordField
          label={t('logon.password')}
          value={password}
          onChange={setPassword}
          testId="logon-password"
          autoComplete="current-password"
        />
        <ErrorMessage error={action.error} />
        <SubmitButton testId="logon-submit" busy={action.busy} ready={Boolean(account)}>
          {t('logon.submit')}
        </SubmitButton>
      </form>
    </AnonymousFrame>
  );
}
