// Console passwords: argon2id hashes, and the rules a new password must meet.
import { hash, verify, Algorithm } from '@node-rs/argon2';

export const MIN_PASSWORD_LENGTH = 10;

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: Algorithm.Argon2id });
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false; // a malformed stored hash matches nothing
  }
}

/** A hash that matches no password, verified against when the account does not exist so a
 * failed logon takes as long for an unknown name as for a wrong password. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(`decoy-${Math.random()}`);
  return decoy;
}

/** Why the password is not acceptable for the account, or undefined when it is. */
export function passwordProblem(account: string, password: string): string | undefined {
  if ([...password].length < MIN_PASSWORD_LENGTH)
    return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.toLowerCase() === account.toLowerCase()) return 'the password must not be the account name';
  return undefined;
}
