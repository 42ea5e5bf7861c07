// Administrator accounts, roles (section × none/read/write) and API tokens (shown once).
import { useState } from 'react';
import { Tabs, Page } from '../components/common';
import { useT } from '../session';
import { AccountsTab } from './accounts/AccountsTab';
import { RolesTab } from './accounts/RolesTab';
import { TokensTab } from './accounts/TokensTab';

export function AccountsPage() {
  const t = useT();
  const [tab, setTab] = useState<'accounts' | 'roles' | 'tokens'>('accounts');
  return (
    <Page title={t('nav.accounts')}>
      <Tabs<'accounts' | 'roles' | 'tokens'>
        tabs={[
          { id: 'accounts', label: t('accounts.accounts') },
          { id: 'roles', label: t('accounts.roles') },
          { id: 'tokens', label: t('accounts.tokens') },
        ]}
        active={tab}
        onChange={setTab}
      />
      {tab === 'accounts' && <AccountsTab />}
      {tab === 'roles' && <RolesTab />}
      {tab === 'tokens' && <TokensTab />}
    </Page>
  );
}
