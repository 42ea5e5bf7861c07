// Shapes of the accounts API, shared by the three tabs.
import type { Permission, Section } from '../../session';

export interface Account {
  name: string;
  role: string;
  language: 'auto' | 'ja' | 'en';
  disabled: boolean;
  failedLogons?: number;
  lockedUntil: number | null;
  createdAt?: number;
  lastLogonAt: number | null;
  passwordChangedAt?: number;
}

export interface Role {
  name: string;
  description: string;
  permissions: Partial<Record<Section, Permission>>;
  builtIn: boolean;
}

export interface RolesResponse {
  roles: Role[];
  sections?: Section[];
}

export function rolesOf(r: RolesResponse | Role[] | undefined): Role[] {
  return Array.isArray(r) ? r : (r?.roles ?? []);
}

export function listOf<T>(r: T[] | Record<string, unknown> | undefined, key: string): T[] {
  if (Array.isArray(r)) return r;
  const v = r?.[key];
  return Array.isArray(v) ? (v as T[]) : [];
}
