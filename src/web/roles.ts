// Roles grant read or write per console section. Two are built in and cannot be changed;
// administrators define the others.
import { SECTIONS, type Access, type Permission, type Section } from './route.js';

export type Permissions = Record<Section, Permission>;

export interface Role {
  name: string;
  description: string;
  permissions: Permissions;
  builtIn: boolean;
}

export const ADMINISTRATOR = 'administrator';
export const READ_ONLY = 'read-only';

function every(p: (s: Section) => Permission): Permissions {
  return Object.fromEntries(SECTIONS.map((s) => [s, p(s)])) as Permissions;
}

export const BUILT_IN_ROLES: readonly Role[] = [
  {
    name: ADMINISTRATOR,
    description: 'Everything, including accounts and roles',
    permissions: every(() => 'write'),
    builtIn: true,
  },
  {
    name: READ_ONLY,
    description: 'Sees every section except accounts; changes nothing',
    permissions: every((s) => (s === 'accounts' ? 'none' : 'read')),
    builtIn: true,
  },
];

export function builtInRole(name: string): Role | undefined {
  return BUILT_IN_ROLES.find((r) => r.name === name);
}

export const NO_PERMISSIONS: Permissions = every(() => 'none');

/** Fills sections a stored role does not name with 'none' (sections added by later versions). */
export function completePermissions(given: Partial<Record<string, Permission>>): Permissions {
  return every((s) => given[s] ?? 'none');
}

/** Write implies read. */
export function allows(permission: Permission, access: Access): boolean {
  return permission === 'write' || (permission === 'read' && access === 'read');
}
