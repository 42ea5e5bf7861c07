// Any account's own password: the current one, then the new one twice. The server ends the
// account's other sessions; this one stays logged on.
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { ErrorMessage, Page, Panel, SubmitButton, Success } from '../components/common';
import { NewPasswordFields, PasswordField, useNewPassword } from '../components/PasswordFields';
import { useAction } from '../hooks';
import { useT } from '../session';

export function ChangePasswordPage() {
  const t = useT();
  const [current, setCurrent] = useState('');
  const newPassword = useNewPassword();
  const action = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!newPassword.ready) return;
    void action.run(async () => {
      await api.put('/session/password', { current, new: newPassword.password });
      setCurrent('');
      newPassword.reset();
      return t('password.changed');
    });
  };

  return (
    <Page title={t('password.title')}>
      <Panel>
        <p className="muted">{t('password.intro')}</p>
        <form onSubmit={submit} className="stack narrow-form" data-testid="password-form">
          <PasswordField
            label={t('password.current')}
            value={current}
            onChange={setCurrent}
            testId="password-current"
            autoComplete="current-password"
          />
          <NewPasswordFields value={newPassword} testId="password-new" />
          <ErrorMessage error={action.error} />
          <Success text={action.done} />
          <SubmitButton
            testId="password-submit"
            busy={action.busy}
            ready={Boolean(current) && newPassword.ready}
          >
            {t('password.submit')}
          </SubmitButton>
        </form>
      </Panel>
    </Page>
  );
}
