// Password inputs of the logon, first-start and change-password pages: a labelled password
// field, and the "new password + repeat" pair with its length and match checks.
import { useState } from 'react';
import { useT } from '../session';
import { Field } from './common';

/** The server refuses shorter passwords (src/web/passwords.ts). */
export const MIN_PASSWORD = 10;

export function PasswordField({
  label,
  hint,
  value,
  onChange,
  testId,
  autoComplete,
}: {
  label: string;
  hint?: string;
  value: string;
  onChange(value: string): void;
  testId: string;
  autoComplete: 'current-password' | 'new-password';
}) {
  return (
    <Field label={label} hint={hint}>
      <input
        type="password"
        autoComplete={autoComplete}
        data-testid={testId}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </Field>
  );
}

export interface NewPassword {
  password: string;
  repeat: string;
  setPassword(v: string): void;
  setRepeat(v: string): void;
  /** Too short or not repeated the same, in the user's language. */
  problem: string | undefined;
  /** Long enough and repeated the same. */
  ready: boolean;
  reset(): void;
}

export function useNewPassword(): NewPassword {
  const t = useT();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const problem =
    password && password.length < MIN_PASSWORD
      ? t('setup.tooShort', { n: MIN_PASSWORD })
      : repeat && password !== repeat
        ? t('setup.mismatch')
        : undefined;
  return {
    password,
    repeat,
    setPassword,
    setRepeat,
    problem,
    ready: Boolean(password) && password === repeat && !problem,
    reset: () => {
      setPassword('');
      setRepeat('');
    },
  };
}

/** The new password and its repeat (data-testid `${testId}-password` and `${testId}-repeat`). */
export function NewPasswordFields({ value, testId }: { value: NewPassword; testId: string }) {
  const t = useT();
  return (
    <>
      <PasswordField
        label={t('setup.password')}
        hint={t('setup.passwordHint', { n: MIN_PASSWORD })}
        value={value.password}
        onChange={value.setPassword}
        testId={`${testId}-password`}
        autoComplete="new-password"
      />
      <PasswordField
        label={t('setup.repeat')}
        value={value.repeat}
        onChange={value.setRepeat}
        testId={`${testId}-repeat`}
        autoComplete="new-password"
      />
      {value.problem && <div className="message error">{value.problem}</div>}
    </>
  );
}
