// Tries a message against the policy: upload an .eml, see its facts, each engine's verdict and,
// per recipient and rule, whether it matched and why. Given a draft rule (the rule editor), the
// draft is tried in place of the saved one, before it is saved.
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Badge, ErrorMessage, Field, LinesInput, Panel, SubmitButton } from './common';
import { DataTable } from './DataTable';
import { show } from '../format';
import { useAction } from '../hooks';
import { useT } from '../session';

interface RuleTrace {
  ruleId: string;
  ruleName: string;
  routeMatched: boolean;
  matched: boolean;
  reason?: string;
  evidence: { condition: string; detail: string; where?: string }[];
}

interface RecipientResult {
  recipient: string;
  direction: string;
  intercept: unknown;
  modify: unknown[];
  monitor: unknown[];
  rules: RuleTrace[];
}

interface TestResult {
  envelope?: { sender: string; recipients: string[] };
  facts?: unknown;
  verdicts?: unknown;
  recipients?: RecipientResult[];
  warnings?: string[];
}

function actionText(a: unknown): string {
  if (a && typeof a === 'object' && 'type' in a) {
    const { type, ...rest } = a as Record<string, unknown>;
    const extra = Object.values(rest).map(show).filter(Boolean).join(' ');
    return extra ? `${String(type)} ${extra}` : String(type);
  }
  return show(a);
}

function base64Of(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return window.btoa(binary);
}

export function PolicyTester({ draftRule }: { draftRule?: Record<string, unknown> }) {
  const t = useT();
  const [file, setFile] = useState<File>();
  const [sender, setSender] = useState('');
  const [recipients, setRecipients] = useState<string[]>([]);
  const [direction, setDirection] = useState('');
  const [result, setResult] = useState<TestResult>();
  const action = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    void action.run(async () => {
      const message = base64Of(await file.arrayBuffer());
      const body: Record<string, unknown> = { message };
      if (sender) body.sender = sender;
      if (recipients.length) body.recipients = recipients;
      if (direction) body.direction = direction;
      if (draftRule) body.rule = draftRule;
      setResult(await api.post<TestResult>('/policy/test', body));
    });
  };

  return (
    <>
      <Panel>
        <form className="form-grid" onSubmit={submit}>
          <Field label={t('policyTest.file')}>
            <input
              type="file"
              accept=".eml,message/rfc822"
              data-testid="test-file"
              onChange={(e) => setFile(e.target.files?.[0])}
            />
          </Field>
          <Field label={t('policyTest.sender')}>
            <input
              value={sender}
              placeholder="sender@example.net"
              onChange={(e) => setSender(e.target.value)}
            />
          </Field>
          <Field label={t('policyTest.recipients')} hint={t('common.onePerLine')}>
            <LinesInput value={recipients} rows={2} onChange={setRecipients} />
          </Field>
          <Field label={t('policy.direction')}>
            <select value={direction} onChange={(e) => setDirection(e.target.value)}>
              <option value="">{t('policyTest.directionAuto')}</option>
              <option value="inbound">{t('policy.direction.inbound')}</option>
              <option value="outbound">{t('policy.direction.outbound')}</option>
            </select>
          </Field>
          <div className="form-actions">
            <SubmitButton testId="test-run" busy={action.busy} ready={Boolean(file)}>
              {t('policyTest.run')}
            </SubmitButton>
          </div>
        </form>
      </Panel>
      <ErrorMessage error={action.error} />
      {result && (
        <>
          {(result.warnings ?? []).length > 0 && (
            <div className="message warning">
              {result.warnings!.map((w) => (
                <div key={w}>{w}</div>
              ))}
            </div>
          )}
          {(result.recipients ?? []).map((r) => (
            <Panel
              key={r.recipient}
              title={`${t('policyTest.recipient')}: ${r.recipient} (${r.direction})`}
              actions={
                <span>
                  {t('policy.intercept')}:{' '}
                  <strong data-testid="test-intercept">{actionText(r.intercept)}</strong>
                  {r.modify.length > 0 && ` · ${r.modify.map(actionText).join(', ')}`}
                  {r.monitor.length > 0 && ` · ${r.monitor.map(actionText).join(', ')}`}
                </span>
              }
            >
              <DataTable
                testId="test-rules"
                rows={r.rules}
                rowKey={(rule) => rule.ruleId}
                rowTestId="test-rule"
                columns={[
                  {
                    header: t('policy.rule'),
                    cell: (rule) => (
                      <>
                        {rule.ruleName || rule.ruleId}
                        <div className="muted small">{rule.ruleId}</div>
                      </>
                    ),
                  },
                  {
                    header: t('policyTest.result'),
                    cell: (rule) => (
                      <Badge kind={rule.matched ? 'warn' : undefined}>
                        {t(
                          rule.matched
                            ? 'policyTest.matched'
                            : rule.routeMatched
                              ? 'policyTest.notMatched'
                              : 'policyTest.routeNotMatched',
                        )}
                      </Badge>
                    ),
                  },
                  {
                    header: t('policyTest.why'),
                    className: 'small',
                    cell: (rule) => (
                      <>
                        {rule.reason}
                        {rule.evidence.map((e, i) => (
                          <div key={i}>
                            {e.detail}
                            {e.where && <span className="muted"> · {e.where}</span>}
                          </div>
                        ))}
                      </>
                    ),
                  },
                ]}
              />
            </Panel>
          ))}
          <div className="grid-2">
            <Panel title={t('policyTest.verdicts')}>
              <pre className="json">{JSON.stringify(result.verdicts ?? {}, null, 2)}</pre>
            </Panel>
            <Panel title={t('policyTest.facts')}>
              <pre className="json" data-testid="test-facts">
                {JSON.stringify(result.facts ?? {}, null, 2)}
              </pre>
            </Panel>
          </div>
        </>
      )}
    </>
  );
}
