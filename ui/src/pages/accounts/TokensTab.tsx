import { useState, type FormEvent } from 'react';
import { api } from '../../api';
import { ErrorMessage, Field, Panel, SubmitButton, Success } from '../../components/common';
import { DataTable } from '../../components/DataTable';
import { formatTime, localInputToMs } from '../../format';
import { useAction, useApi } from '../../hooks';
import { useSession } from '../../session';
import { listOf } from './model';

interface Token {
  id: string;
  name: string;
  account?: string;
  createdAt?: number;
  expiresAt?: number | null;
  lastUsedAt?: number | null;
}

export function TokensTab() {
  const { t, language } = useSession();
  const tokens = useApi<Token[] | { tokens: Token[] }>('/tokens');
  const action = useAction();
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [shown, setShown] = useState<string>();
  const rows = listOf<Token>(tokens.data, 'tokens');

  const create = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const ms = localInputToMs(expires);
      const r = await api.post<{ token: string }>('/tokens', {
        name,
        ...(ms ? { expires: new Date(ms).toISOString() } : {}),
      });
      setShown(r.token);
      setName('');
      tokens.reload();
    });
  };
  const revoke = (tok: Token) => {
    if (!window.confirm(t('accounts.confirmRevoke', { name: tok.name }))) return;
    void action.run(async () => {
      await api.del(`/tokens/${encodeURIComponent(tok.id)}`);
      tokens.reload();
    });
  };

  return (
    <>
      <ErrorMessage error={tokens.error ?? action.error} />
      <Success text={action.done} />
      {shown && (
        <div className="message warning" data-testid="token-shown">
          <div>{t('accounts.tokenOnce')}</div>
          <code className="token">{shown}</code>
          <button type="button" className="small" onClick={() => setShown(undefined)}>
            {t('common.close')}
          </button>
        </div>
      )}
      <Panel>
        <DataTable
          testId="tokens-table"
          rows={rows}
          rowKey={(tok) => tok.id}
          columns={[
            { header: t('accounts.tokenName'), cell: (tok) => tok.name },
            { header: t('accounts.name'), cell: (tok) => tok.account },
            { header: t('accounts.createdAt'), cell: (tok) => formatTime(tok.createdAt, language) },
            {
              header: t('accounts.expiresAt'),
              cell: (tok) => (tok.expiresAt ? formatTime(tok.expiresAt, language) : t('accounts.never')),
            },
            { header: t('accounts.lastUsed'), cell: (tok) => formatTime(tok.lastUsedAt, language) },
            {
              cell: (tok) => (
                <button type="button" className="small danger" onClick={() => revoke(tok)}>
                  {t('accounts.revoke')}
                </button>
              ),
            },
          ]}
        />
      </Panel>
      <Panel title={t('accounts.newToken')}>
        <form className="inline-form" onSubmit={create}>
          <Field label={t('accounts.tokenName')}>
            <input value={name} data-testid="token-name" onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label={t('accounts.expiresAt')}>
            <input type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
          </Field>
          <SubmitButton testId="token-create" busy={action.busy} ready={Boolean(name)}>
            {t('accounts.createToken')}
          </SubmitButton>
        </form>
      </Panel>
    </>
  );
}
