// First start: no account exists yet. The administrator proves access to the server with the
// setup code from <dataDir>/console-setup-code and chooses the first password.
import { useState, type FormEvent } from 'react';
import { api, setCsrfToken } from '../api';
import { ErrorMessage, Field, SubmitButton } from '../components/common';
import { NewPasswordFields, useNewPassword } from '../components/PasswordFields';
import { useAction } from '../hooks';
import { useSession } from '../session';
import { AnonymousFrame } from './AnonymousFrame';

export function SetupPasswordPage() {
  const { t, refresh } = useSession();
  const [setupCode, setSetupCode] = useState('');
  const [account, setAccount] = useState('admin');
  const newPassword = useNewPassword();
  const { password } = newPassword;
  const action = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!newPassword.ready) return;
    void action.run(async () => {
      const r = await api.post<{ csrfToken?: string }>(
        '/setup/password',
        { setupCode: setupCode.trim(), account, password },
        { expectUnauthorized: true },
      );
      if (r?.csrfToken) setCsrfToken(r.csrfToken);
      else
        await api
          .post('/session', { account, password }, { expectUnauthorized: true })
          .catch(() => undefined);
      await refresh();
    });
  };

  return (
    <AnonymousFrame title={t('setup.title')}>
      <p>{t('setup.intro')}</p>
      <p className="muted">
        <code>&lt;dataDir&gt;/console-setup-code</code>
      </p>
      <form onSubmit={submit} className="stack">
        <Field label={t('setup.code')}>
          <input data-testid="setup-code" value={setupCode} onChange={(e) => setSetupCode(e.target.value)} />
        </Field>
        <Field label={t('logon.account')}>
          <input data-testid="setup-account" value={account} onChange={(e) => setAccount(e.target.value)} />
        </Field>
        <NewPasswordFields value={newPassword} testId="setup" />
        <ErrorMessage error={action.error} />
        <SubmitButton
          testId="setup-submit"
          busy={action.busy}
          ready={Boolean(setupCode) && newPassword.ready}
        >
          {t('setup.submit')}
        </SubmitButton>
      </form>
    </AnonymousFrame>
  );
}
