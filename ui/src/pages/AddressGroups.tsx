// Address groups on the policy lists page: named sets of addresses and patterns
// (user@example.com, *@example.com, *.example.com) that rules name as "group:NAME".
import { Field, LinesInput, Panel } from '../components/common';
import { useT } from '../session';

export interface AddressGroup {
  name: string;
  description?: string;
  addresses: string[];
}

export function AddressGroupsEditor({
  groups,
  onChange,
  canWrite,
}: {
  groups: AddressGroup[];
  onChange(groups: AddressGroup[]): void;
  canWrite: boolean;
}) {
  const t = useT();
  const setGroup = (i: number, g: AddressGroup) => onChange(groups.map((x, j) => (j === i ? g : x)));
  return (
    <Panel
      title={t('groups.title')}
      actions={
        canWrite && (
          <button
            type="button"
            className="small"
            data-testid="group-add"
            onClick={() => onChange([...groups, { name: '', addresses: [] }])}
          >
            {t('groups.add')}
          </button>
        )
      }
    >
      <p className="muted">{t('groups.help')}</p>
      {groups.length === 0 && <p className="muted">{t('groups.none')}</p>}
      {groups.map((g, i) => (
        <div className="form-grid address-group" key={i} data-testid={`group-${i}`}>
          <Field label={t('groups.name')}>
            <input
              value={g.name}
              disabled={!canWrite}
              data-testid={`group-${i}-name`}
              onChange={(e) => setGroup(i, { ...g, name: e.target.value })}
            />
          </Field>
          <Field label={t('policy.description')}>
            <input
              value={g.description ?? ''}
              disabled={!canWrite}
              onChange={(e) => setGroup(i, { ...g, description: e.target.value || undefined })}
            />
          </Field>
          <Field label={t('groups.addresses')} hint={t('groups.addressesHint')}>
            <LinesInput
              rows={4}
              value={g.addresses}
              disabled={!canWrite}
              placeholder={'user@example.com\n*@example.com'}
              testId={`group-${i}-addresses`}
              onChange={(addresses) => setGroup(i, { ...g, addresses })}
            />
          </Field>
          {canWrite && (
            <div className="form-actions">
              <button
                type="button"
                className="small danger"
                data-testid={`group-${i}-remove`}
                onClick={() => onChange(groups.filter((_, j) => j !== i))}
              >
                {t('common.remove')}
              </button>
            </div>
          )}
        </div>
      ))}
    </Panel>
  );
}
