// A form for a flat settings object as the API returns it (YAML form: "25M", "5m", numbers,
// booleans, lists of strings): one field per key, the type kept as it came. Used by the mail
// settings page and the wizard so both stay in step with the settings document.
import { hasKey, type MessageKey } from '../i18n';
import { useT } from '../session';
import { Field, LinesInput } from './common';

export type Flat = Record<string, unknown>;

/** Choices for keys whose values are a fixed set. */
const CHOICES: Record<string, string[]> = {
  tls: ['none', 'opportunistic', 'required'],
  role: ['standalone', 'parent', 'child'],
};

export function ObjectForm({
  value,
  onChange,
  disabled,
  testIdPrefix,
  skip = [],
}: {
  value: Flat;
  onChange(v: Flat): void;
  disabled?: boolean;
  testIdPrefix: string;
  skip?: string[];
}) {
  const t = useT();
  const set = (k: string, v: unknown) => onChange({ ...value, [k]: v });
  return (
    <div className="form-grid">
      {Object.entries(value)
        .filter(([k, v]) => !skip.includes(k) && (v === null || typeof v !== 'object' || isStringList(v)))
        .map(([k, v]) => {
          const label = hasKey(`setting.${k}`) ? t(`setting.${k}` as MessageKey) : k;
          const testId = `${testIdPrefix}-${k}`;
          if (typeof v === 'boolean')
            return (
              <label className="field checkbox" key={k}>
                <input
                  type="checkbox"
                  checked={v}
                  disabled={disabled}
                  data-testid={testId}
                  onChange={(e) => set(k, e.target.checked)}
                />
                <span>{label}</span>
              </label>
            );
          if (Array.isArray(v))
            return (
              <Field key={k} label={label} hint={t('common.onePerLine')}>
                <LinesInput
                  value={v as string[]}
                  onChange={(x) => set(k, x)}
                  disabled={disabled}
                  testId={testId}
                />
              </Field>
            );
          const choices = CHOICES[k];
          if (choices)
            return (
              <Field key={k} label={label}>
                <select
                  value={String(v ?? '')}
                  disabled={disabled}
                  data-testid={testId}
                  onChange={(e) => set(k, e.target.value)}
                >
                  {choices.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
              </Field>
            );
          return (
            <Field key={k} label={label}>
              <input
                type={
                  typeof v === 'number'
                    ? 'number'
                    : k.toLowerCase().includes('password')
                      ? 'password'
                      : 'text'
                }
                value={v === null || v === undefined ? '' : String(v)}
                disabled={disabled}
                data-testid={testId}
                onChange={(e) =>
                  set(
                    k,
                    typeof v === 'number'
                      ? e.target.value === ''
                        ? ''
                        : Number(e.target.value)
                      : e.target.value,
                  )
                }
              />
            </Field>
          );
        })}
    </div>
  );
}

function isStringList(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}
