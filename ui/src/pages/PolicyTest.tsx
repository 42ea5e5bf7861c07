// The policy's Test page: a message tried against the saved rules.
import { Page } from '../components/common';
import { PolicyTester } from '../components/PolicyTester';
import { navigate } from '../router';
import { useT } from '../session';

export function PolicyTestPage() {
  const t = useT();
  return (
    <Page
      title={t('policy.test')}
      actions={
        <button type="button" onClick={() => navigate('/policy')}>
          {t('common.back')}
        </button>
      }
    >
      <PolicyTester />
    </Page>
  );
}
