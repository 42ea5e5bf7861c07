import { useState, type FormEvent } from 'react';
import { api } from '../../api';
import { Badge, ErrorMessage, Field, Panel, SubmitButton, Success } from '../../components/common';
import { DataTable } from '../../components/DataTable';
import { MIN_PASSWORD, PasswordField } from '../../components/PasswordFields';
import { formatTime } from '../../format';
import { useAction, useApi } from '../../hooks';
import { useCanWrite, useSession, useT } from '../../session';
import { listOf, rolesOf, type Account, type RolesResponse } from './model';

const LANGUAGES = ['auto', 'ja', 'en'] as const;
type LanguageChoice = (typeof LANGUAGES)[number];

/** The console language of an account: automatic (the browser's), Japanese or English. */
function LanguageSelect({
  value,
  disabled,
  onChange,
}: {
  value: LanguageChoice;
  disabled?: boolean;
  onChange(language: LanguageChoice): void;
}) {
  const t = useT();
  return (
    <select value={value} disabled={disabled} onChange={(e) => onChange(e.target.value as LanguageChoice)}>
      {LANGUAGES.map((l) => (
        <option key={l} value={l}>
          {t(`language.${l}`)}
        </option>
      ))}
    </select>
  );
}

export function AccountsTab() {
  const { t, language, session } = useSession();
  const canWrite = useCanWrite('accounts');
  const accounts = useApi<Account[] | { accounts: Account[] }>('/accounts');
  const roles = useApi<RolesResponse>('/roles');
  const action = useAction();
  const [form, setForm] = useState<{
    name: string;
    password: string;
    role: string;
    language: LanguageChoice;
  }>({
    name: '',
    password: '',
    role: 'read-only',
    language: 'auto',
  });
  const rows = listOf<Account>(accounts.data, 'accounts');
  const roleNames = rolesOf(roles.data).map((r) => r.name);
  const path = (name: string) => `/accounts/${encodeURIComponent(name)}`;

  const create = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await api.post('/accounts', form);
      setForm({ ...form, name: '', password: '' });
      accounts.reload();
      return t('accounts.created', { name: form.name });
    });
  };
  const update = (a: Account, change: Partial<Account>) =>
    void action.run(async () => {
      await api.patch(path(a.name), change);
      accounts.reload();
      return t('common.saved');
    });
  const unlock = (a: Account) =>
    void action.run(async () => {
      await api.post(`${path(a.name)}/unlock`);
      accounts.reload();
      return t('accounts.unlocked', { name: a.name });
    });
  const resetPassword = (a: Account) => {
    const password = window.prompt(t('accounts.newPasswordFor', { name: a.name }));
    if (!password) return;
    void action.run(async () => {
      await api.put(`${path(a.name)}/password`, { password });
      return t('accounts.passwordReset', { name: a.name });
    });
  };
  const remove = (a: Account) => {
    if (!window.confirm(t('accounts.confirmDelete', { name: a.name }))) return;
    void action.run(async () => {
      await api.del(path(a.name));
      accounts.reload();
    });
  };

  return (
    <>
      <ErrorMessage error={accounts.error ?? action.error} />
      <Success text={action.done} />
      <Panel>
        <DataTable
          testId="accounts-table"
          rows={rows}
          rowKey={(a) => a.name}
          rowTestId="account-row"
          columns={[
            {
              header: t('accounts.name'),
              cell: (a) => (
                <>
                  {a.name}
                  {a.name === session.account && <span className="muted"> ({t('accounts.you')})</span>}
                </>
              ),
            },
            {
              header: t('accounts.role'),
              cell: (a) => (
                <select
                  value={a.role}
                  disabled={!canWrite}
                  onChange={(e) => update(a, { role: e.target.value })}
                >
                  {[...new Set([a.role, ...roleNames])].map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              ),
            },
            {
              header: t('accounts.language'),
              cell: (a) => (
                <LanguageSelect
                  value={a.language}
                  disabled={!canWrite}
                  onChange={(l) => update(a, { language: l })}
                />
              ),
            },
            {
              header: t('common.status'),
              cell: (a) =>
                a.lockedUntil ? (
                  <Badge kind="bad">{t('accounts.locked')}</Badge>
                ) : a.disabled ? (
                  <Badge>{t('accounts.disabled')}</Badge>
                ) : (
                  <Badge kind="good">{t('accounts.active')}</Badge>
                ),
            },
            { header: t('accounts.lastLogon'), cell: (a) => formatTime(a.lastLogonAt, language) },
            canWrite && {
              className: 'nowrap',
              cell: (a) => (
                <>
                  {a.lockedUntil && (
                    <button
                      type="button"
                      className="small"
                      data-testid={`account-unlock-${a.name}`}
                      onClick={() => unlock(a)}
                    >
                      {t('accounts.unlock')}
                    </button>
                  )}
                  <button
                    type="button"
                    className="small"
                    onClick={() => update(a, { disabled: !a.disabled })}
                  >
                    {t(a.disabled ? 'accounts.enable' : 'accounts.disable')}
                  </button>
                  <button type="button" className="small" onClick={() => resetPassword(a)}>
                    {t('accounts.resetPassword')}
                  </button>
                  {a.name !== session.account && (
                    <button type="button" className="small danger" onClick={() => remove(a)}>
                      {t('common.delete')}
                    </button>
                  )}
                </>
              ),
            },
          ]}
        />
      </Panel>
      {canWrite && (
        <Panel title={t('accounts.create')}>
          <form className="form-grid" onSubmit={create} data-testid="account-create">
            <Field label={t('accounts.name')}>
              <input
                value={form.name}
                data-testid="account-name"
                onChange={(e) => setForm({ ...form, name: e.target.value })}
              />
            </Field>
            <PasswordField
              label={t('logon.password')}
              hint={t('setup.passwordHint', { n: MIN_PASSWORD })}
              value={form.password}
              onChange={(password) => setForm({ ...form, password })}
              testId="account-password"
              autoComplete="new-password"
            />
            <Field label={t('accounts.role')}>
              <select
                value={form.role}
                data-testid="account-role"
                onChange={(e) => setForm({ ...form, role: e.target.value })}
              >
                {roleNames.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t('accounts.language')}>
              <LanguageSelect value={form.language} onChange={(l) => setForm({ ...form, language: l })} />
            </Field>
            <div className="form-actions">
              <SubmitButton
                testId="account-submit"
                busy={action.busy}
                ready={Boolean(form.name && form.password)}
              >
                {t('accounts.create')}
              </SubmitButton>
            </div>
          </form>
        </Panel>
      )}
    </>
  );
}
