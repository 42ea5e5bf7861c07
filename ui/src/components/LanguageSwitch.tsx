// 日本語 / English buttons, in the console header and on the pages before logon.
import { useSession } from '../session';

export function LanguageSwitch() {
  const { t, setLanguage, language } = useSession();
  return (
    <div className="lang-switch" role="group" aria-label={t('shell.language')}>
      <button
        type="button"
        data-testid="lang-ja"
        className={language === 'ja' ? 'active' : ''}
        onClick={() => void setLanguage('ja')}
      >
        日本語
      </button>
      <button
        type="button"
        data-testid="lang-en"
        className={language === 'en' ? 'active' : ''}
        onClick={() => void setLanguage('en')}
      >
        English
      </button>
    </div>
  );
}
