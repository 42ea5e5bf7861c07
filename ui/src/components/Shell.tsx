// The console frame: header with account and language, navigation by section (only sections
// the role can read), and the page for the current path.
import { useEffect, type ReactNode } from 'react';
import { Link, matchPath, navigate, useLocation } from '../router';
import { permissionOf, SECTIONS, useSession, type Section } from '../session';
import type { MessageKey } from '../i18n';
import { LanguageSwitch } from './LanguageSwitch';
import { ChangePasswordPage } from '../pages/ChangePassword';
import { DashboardPage } from '../pages/Dashboard';
import { SystemPage } from '../pages/System';
import { MailSettingsPage } from '../pages/MailSettings';
import { PolicyPage } from '../pages/Policy';
import { RuleEditorPage } from '../pages/RuleEditor';
import { PolicyTestPage } from '../pages/PolicyTest';
import { KeywordListsPage } from '../pages/KeywordLists';
import { QueuePage } from '../pages/Queue';
import { QueueDetailPage } from '../pages/QueueDetail';
import { TrackingPage } from '../pages/Tracking';
import { TrackingDetailPage } from '../pages/TrackingDetail';
import { QuarantinePage } from '../pages/Quarantine';
import { QuarantineDetailPage } from '../pages/QuarantineDetail';
import { AccountsPage } from '../pages/Accounts';
import { AuditPage } from '../pages/Audit';
import { SettingsPage } from '../pages/Settings';
import { WizardPage } from '../pages/Wizard';

interface PageRoute {
  path: string;
  /** The section the role must be able to read; 'self' is every account's own page. */
  section: Section | 'self';
  render(params: Record<string, string>): ReactNode;
}

const ROUTES: PageRoute[] = [
  { path: '/dashboard', section: 'dashboard', render: () => <DashboardPage /> },
  { path: '/system', section: 'system', render: () => <SystemPage /> },
  { path: '/mail', section: 'mail', render: () => <MailSettingsPage /> },
  { path: '/policy', section: 'policy', render: () => <PolicyPage /> },
  { path: '/policy/new', section: 'policy', render: () => <RuleEditorPage /> },
  { path: '/policy/test', section: 'policy', render: () => <PolicyTestPage /> },
  { path: '/policy/lists', section: 'policy', render: () => <KeywordListsPage /> },
  { path: '/policy/rules/:id', section: 'policy', render: (p) => <RuleEditorPage id={p.id} /> },
  { path: '/queue', section: 'queue', render: () => <QueuePage /> },
  { path: '/queue/:id', section: 'queue', render: (p) => <QueueDetailPage id={p.id!} /> },
  { path: '/tracking', section: 'tracking', render: () => <TrackingPage /> },
  { path: '/tracking/:id', section: 'tracking', render: (p) => <TrackingDetailPage id={p.id!} /> },
  { path: '/quarantine', section: 'quarantine', render: () => <QuarantinePage /> },
  { path: '/quarantine/:id', section: 'quarantine', render: (p) => <QuarantineDetailPage id={p.id!} /> },
  { path: '/accounts', section: 'accounts', render: () => <AccountsPage /> },
  { path: '/audit', section: 'audit', render: () => <AuditPage /> },
  { path: '/settings', section: 'settings', render: () => <SettingsPage /> },
  { path: '/wizard', section: 'settings', render: () => <WizardPage /> },
  { path: '/password', section: 'self', render: () => <ChangePasswordPage /> },
];

/** Where each section's navigation entry leads. */
const SECTION_HOME: Record<Section, string> = {
  dashboard: '/dashboard',
  system: '/system',
  mail: '/mail',
  policy: '/policy',
  queue: '/queue',
  tracking: '/tracking',
  quarantine: '/quarantine',
  accounts: '/accounts',
  audit: '/audit',
  settings: '/settings',
};

export function Shell() {
  const { session, t, logoff } = useSession();
  const { path } = useLocation();
  const readable = SECTIONS.filter((s) => permissionOf(session, s) !== 'none');

  let content: ReactNode = null;
  for (const r of ROUTES) {
    const params = matchPath(r.path, path);
    if (!params) continue;
    content =
      r.section === 'self' || readable.includes(r.section) ? (
        r.render(params)
      ) : (
        <p className="muted">{t('error.forbidden')}</p>
      );
    break;
  }
  // An unknown path (or "/") leads to the first section the role can read.
  const home = readable[0] ? SECTION_HOME[readable[0]] : undefined;
  const redirect = content === null && home && path !== home ? home : undefined;
  useEffect(() => {
    if (redirect) navigate(redirect, true);
  }, [redirect]);
  if (content === null && !home) content = <p className="muted">{t('shell.noSections')}</p>;

  const active = readable.find((s) => path === SECTION_HOME[s] || path.startsWith(SECTION_HOME[s] + '/'));

  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark">関守</span> Sekimori{' '}
          <span className="brand-sub">{t('shell.console')}</span>
        </div>
        <div className="topbar-right">
          <LanguageSwitch />
          <span className="account" data-testid="account">
            {session.account} <span className="muted">({session.role})</span>
          </span>
          <Link to="/password" className="button" data-testid="change-password">
            {t('password.title')}
          </Link>
          <button type="button" data-testid="logoff" onClick={() => void logoff()}>
            {t('shell.logoff')}
          </button>
        </div>
      </header>
      <nav className="sidenav" data-testid="nav">
        {readable.map((s) => (
          <Link
            key={s}
            to={SECTION_HOME[s]}
            className={s === active ? 'active' : ''}
            data-testid={`nav-${s}`}
          >
            {t(`nav.${s}` as MessageKey)}
          </Link>
        ))}
      </nav>
      <main className="content">{content}</main>
    </div>
  );
}
