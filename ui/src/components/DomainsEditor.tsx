// Accepted domains with their next hops and known recipients: used by the mail settings page
// and the wizard's routing step.
import { useT } from '../session';
import { LinesInput } from './common';

export interface Domain {
  name: string;
  nextHops?: string[];
  recipients?: string[];
}

export function DomainsEditor({
  domains,
  onChange,
  disabled,
}: {
  domains: Domain[];
  onChange(d: Domain[]): void;
  disabled: boolean;
}) {
  const t = useT();
  const set = (i: number, d: Domain) => onChange(domains.map((x, j) => (j === i ? d : x)));
  return (
    <>
      <table className="table" data-testid="domains">
        <thead>
          <tr>
            <th>{t('mail.domain')}</th>
            <th>{t('mail.nextHops')}</th>
            <th>{t('mail.recipients')}</th>
            <th className="narrow" />
          </tr>
        </thead>
        <tbody>
          {domains.map((d, i) => (
            <tr key={i}>
              <td>
                <input
                  value={d.name}
                  disabled={disabled}
                  data-testid={`domain-name-${i}`}
                  placeholder="example.com"
                  onChange={(e) => set(i, { ...d, name: e.target.value })}
                />
              </td>
              <td>
                <LinesInput
                  value={d.nextHops}
                  rows={2}
                  disabled={disabled}
                  placeholder="mail.example.com:25"
                  testId={`domain-hops-${i}`}
                  onChange={(v) => set(i, { ...d, nextHops: v })}
                />
              </td>
              <td>
                <LinesInput
                  value={d.recipients}
                  rows={2}
                  disabled={disabled}
                  placeholder={t('mail.anyRecipient')}
                  onChange={(v) => set(i, { ...d, recipients: v })}
                />
              </td>
              <td>
                {!disabled && (
                  <button
                    type="button"
                    className="small danger"
                    onClick={() => onChange(domains.filter((_, j) => j !== i))}
                  >
                    {t('common.remove')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!disabled && (
        <button
          type="button"
          className="small"
          data-testid="domain-add"
          onClick={() => onChange([...domains, { name: '', nextHops: [], recipients: [] }])}
        >
          {t('mail.addDomain')}
        </button>
      )}
    </>
  );
}
