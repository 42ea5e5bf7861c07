// One condition of a rule: a kind, "not", and a form for the common kinds (keywords,
// attachment, DLP, size, spam, virus, header); the other kinds are edited as YAML.
import { useState } from 'react';
import { parse, stringify } from 'yaml';
import { Field, LinesInput } from '../components/common';
import type { MessageKey } from '../i18n';
import { useT } from '../session';
import {
  CONDITION_KINDS,
  DLP_TEMPLATES,
  FORM_KINDS,
  SPAM_LEVELS,
  TEXT_AREAS,
  type ConditionKind,
  type EditorCondition,
  type Options,
} from '../policy-model';

export function ConditionEditor({
  value,
  index,
  lists,
  disabled,
  onChange,
  onRemove,
}: {
  value: EditorCondition;
  index: number;
  lists: string[];
  disabled: boolean;
  onChange(c: EditorCondition): void;
  onRemove(): void;
}) {
  const t = useT();
  const o = value.options;
  const set = (k: string, v: unknown) => onChange({ ...value, options: { ...o, [k]: v } });
  const id = (s: string) => `cond-${index}-${s}`;
  return (
    <div className="condition" data-testid={`condition-${index}`}>
      <div className="condition-head">
        <select
          value={value.kind}
          disabled={disabled}
          data-testid={id('kind')}
          onChange={(e) => onChange({ ...value, kind: e.target.value, options: {} })}
        >
          {CONDITION_KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`condition.${k}` as MessageKey)}
            </option>
          ))}
        </select>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={value.negated}
            disabled={disabled}
            onChange={(e) => onChange({ ...value, negated: e.target.checked })}
          />
          {t('policy.negate')}
        </label>
        {!disabled && (
          <button type="button" className="small danger" onClick={onRemove}>
            {t('common.remove')}
          </button>
        )}
      </div>
      <div className="condition-body">
        {value.kind === 'keywords' && (
          <>
            <Field label={t('policy.keywordList')}>
              <select
                value={String(o.list ?? '')}
                disabled={disabled}
                data-testid={id('list')}
                onChange={(e) => set('list', e.target.value)}
              >
                <option value="">—</option>
                {lists.map((l) => (
                  <option key={l} value={l}>
                    {l}
                  </option>
                ))}
              </select>
            </Field>
            <AreaChoice
              value={o.in as string[] | undefined}
              disabled={disabled}
              onChange={(v) => set('in', v)}
              testId={id('in')}
            />
          </>
        )}
        {value.kind === 'attachment' && (
          <div className="form-grid">
            <Field label={t('policy.attachmentNames')} hint={t('common.onePerLine')}>
              <LinesInput
                value={o.names as string[]}
                disabled={disabled}
                testId={id('names')}
                onChange={(v) => set('names', v)}
              />
            </Field>
            <Field label={t('policy.extensions')} hint={t('common.onePerLine')}>
              <LinesInput
                value={o.extensions as string[]}
                disabled={disabled}
                testId={id('extensions')}
                onChange={(v) => set('extensions', v)}
              />
            </Field>
            <Field label={t('policy.trueTypes')} hint={t('common.onePerLine')}>
              <LinesInput
                value={o.trueTypes as string[]}
                disabled={disabled}
                onChange={(v) => set('trueTypes', v)}
              />
            </Field>
            <Field label={t('policy.minSize')}>
              <input
                value={String(o.minSize ?? '')}
                disabled={disabled}
                onChange={(e) => set('minSize', e.target.value)}
              />
            </Field>
            <Field label={t('policy.maxSize')}>
              <input
                value={String(o.maxSize ?? '')}
                disabled={disabled}
                onChange={(e) => set('maxSize', e.target.value)}
              />
            </Field>
            {(['encrypted', 'macros', 'doubleExtension'] as const).map((k) => (
              <label className="field checkbox" key={k}>
                <input
                  type="checkbox"
                  checked={o[k] === true}
                  disabled={disabled}
                  onChange={(e) => set(k, e.target.checked ? true : undefined)}
                />
                <span>{t(`policy.attachment.${k}` as MessageKey)}</span>
              </label>
            ))}
          </div>
        )}
        {value.kind === 'dlp' && (
          <>
            <div className="form-grid">
              <Field label={t('policy.template')}>
                <select
                  value={String(o.template ?? '')}
                  disabled={disabled}
                  data-testid={id('template')}
                  onChange={(e) => set('template', e.target.value)}
                >
                  <option value="">—</option>
                  {DLP_TEMPLATES.map((d) => (
                    <option key={d} value={d}>
                      {t(`dlp.${d}` as MessageKey)}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label={t('policy.minCount')}>
                <input
                  type="number"
                  min={1}
                  value={o.minCount === undefined ? '' : String(o.minCount)}
                  disabled={disabled}
                  onChange={(e) => set('minCount', e.target.value ? Number(e.target.value) : undefined)}
                />
              </Field>
            </div>
            <AreaChoice
              value={o.in as string[] | undefined}
              disabled={disabled}
              onChange={(v) => set('in', v)}
            />
          </>
        )}
        {(value.kind === 'size' || value.kind === 'recipientCount') && (
          <div className="form-grid">
            {(['min', 'max'] as const).map((k) => (
              <Field key={k} label={t(`policy.${k}` as MessageKey)}>
                <input
                  value={o[k] === undefined ? '' : String(o[k])}
                  disabled={disabled}
                  placeholder={value.kind === 'size' ? '10MB' : '50'}
                  onChange={(e) =>
                    set(
                      k,
                      value.kind === 'recipientCount' && e.target.value
                        ? Number(e.target.value)
                        : e.target.value,
                    )
                  }
                />
              </Field>
            ))}
          </div>
        )}
        {value.kind === 'spam' && (
          <Field label={t('policy.spamLevel')}>
            <select
              value={String(o.level ?? '')}
              disabled={disabled}
              onChange={(e) => set('level', e.target.value || undefined)}
            >
              <option value="">{t('policy.spamVerdict')}</option>
              {SPAM_LEVELS.map((l) => (
                <option key={l} value={l}>
                  {t(`policy.level.${l}` as MessageKey)}
                </option>
              ))}
            </select>
          </Field>
        )}
        {value.kind === 'virus' && (
          <Field label={t('policy.virusCategories')} hint={t('policy.virusHint')}>
            <LinesInput
              value={o.categories as string[]}
              disabled={disabled}
              onChange={(v) => set('categories', v)}
            />
          </Field>
        )}
        {value.kind === 'header' && (
          <div className="form-grid">
            <Field label={t('policy.headerName')}>
              <input
                value={String(o.name ?? '')}
                disabled={disabled}
                onChange={(e) => set('name', e.target.value)}
              />
            </Field>
            <Field label={t('policy.headerPattern')}>
              <input
                value={String(o.pattern ?? '')}
                disabled={disabled}
                onChange={(e) => set('pattern', e.target.value)}
              />
            </Field>
          </div>
        )}
        {!FORM_KINDS.includes(value.kind as ConditionKind) && value.kind !== 'recipientCount' && (
          <YamlBox value={o} disabled={disabled} onChange={(v) => onChange({ ...value, options: v })} />
        )}
      </div>
    </div>
  );
}

function AreaChoice({
  value,
  disabled,
  onChange,
  testId,
}: {
  value: string[] | undefined;
  disabled: boolean;
  onChange(v: string[] | undefined): void;
  testId?: string;
}) {
  const t = useT();
  const chosen = value ?? [];
  return (
    <div className="field">
      <span className="field-label">{t('policy.lookIn')}</span>
      <div className="checks" data-testid={testId}>
        {TEXT_AREAS.map((a) => (
          <label className="checkbox" key={a}>
            <input
              type="checkbox"
              checked={chosen.includes(a)}
              disabled={disabled}
              data-testid={testId ? `${testId}-${a}` : undefined}
              onChange={(e) => {
                const next = e.target.checked ? [...chosen, a] : chosen.filter((x) => x !== a);
                onChange(next.length ? next : undefined);
              }}
            />
            {t(`area.${a}` as MessageKey)}
          </label>
        ))}
      </div>
      <span className="field-hint">{t('policy.lookInHint')}</span>
    </div>
  );
}

/** Options of a kind without a form, as YAML; applied when it parses. */
export function YamlBox({
  value,
  disabled,
  onChange,
  rows = 4,
  testId,
}: {
  value: unknown;
  disabled: boolean;
  onChange(v: Options): void;
  rows?: number;
  testId?: string;
}) {
  const t = useT();
  const [text, setText] = useState(() => stringify(value ?? {}));
  const [problem, setProblem] = useState<string>();
  return (
    <div className="field">
      <textarea
        className="mono"
        rows={rows}
        value={text}
        disabled={disabled}
        data-testid={testId}
        onChange={(e) => {
          setText(e.target.value);
          try {
            const parsed: unknown = parse(e.target.value);
            onChange((parsed ?? {}) as Options);
            setProblem(undefined);
          } catch (err) {
            setProblem(err instanceof Error ? err.message : String(err));
          }
        }}
      />
      {problem && <span className="field-hint error-text">{t('policy.yamlProblem', { problem })}</span>}
    </div>
  );
}
