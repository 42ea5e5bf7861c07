import { useEffect, useState } from 'react';
import { api } from '../../api';
import { Badge, ErrorMessage, Field, Panel, Success } from '../../components/common';
import { useAction, useApi } from '../../hooks';
import type { MessageKey } from '../../i18n';
import { SECTIONS, useCanWrite, useT, type Permission, type Section } from '../../session';
import { rolesOf, type Role, type RolesResponse } from './model';

const LEVELS: Permission[] = ['none', 'read', 'write'];

export function RolesTab() {
  const t = useT();
  const canWrite = useCanWrite('accounts');
  const { data, error, reload } = useApi<RolesResponse>('/roles');
  const [roles, setRoles] = useState<Role[]>([]);
  const [newName, setNewName] = useState('');
  const action = useAction();
  useEffect(() => setRoles(rolesOf(data)), [data]);
  const sections: readonly Section[] = (!Array.isArray(data) && data?.sections) || SECTIONS;
  const stored = new Set(rolesOf(data).map((r) => r.name));

  const setLevel = (role: Role, s: Section, p: Permission) =>
    setRoles(
      roles.map((r) => (r.name === role.name ? { ...r, permissions: { ...r.permissions, [s]: p } } : r)),
    );
  const save = (role: Role) =>
    void action.run(async () => {
      const body = { description: role.description, permissions: role.permissions };
      if (stored.has(role.name)) await api.put(`/roles/${encodeURIComponent(role.name)}`, body);
      else await api.post('/roles', { name: role.name, ...body });
      reload();
      return t('common.saved');
    });
  const remove = (role: Role) => {
    if (!window.confirm(t('accounts.confirmDeleteRole', { name: role.name }))) return;
    void action.run(async () => {
      if (stored.has(role.name)) await api.del(`/roles/${encodeURIComponent(role.name)}`);
      reload();
    });
  };
  const add = () => {
    if (!newName || !data) return;
    const none = Object.fromEntries(sections.map((s) => [s, 'none'])) as Record<Section, Permission>;
    setRoles([...roles, { name: newName, description: '', permissions: none, builtIn: false }]);
    setNewName('');
  };

  return (
    <>
      <ErrorMessage error={error ?? action.error} />
      <Success text={action.done} />
      <Panel>
        <div className="roles-scroll">
          <table className="table roles-grid" data-testid="roles-grid">
            <thead>
              <tr>
                <th>{t('accounts.role')}</th>
                {sections.map((s) => (
                  <th key={s} className="center">
                    {t(`nav.${s}` as MessageKey)}
                  </th>
                ))}
                <th />
              </tr>
            </thead>
            <tbody>
              {roles.map((r) => {
                const editable = canWrite && !r.builtIn;
                return (
                  <tr key={r.name} data-testid={`role-row-${r.name}`}>
                    <td>
                      <strong>{r.name}</strong> {r.builtIn && <Badge>{t('policy.builtIn')}</Badge>}
                      <div>
                        {editable ? (
                          <input
                            value={r.description}
                            placeholder={t('policy.description')}
                            onChange={(e) =>
                              setRoles(
                                roles.map((x) =>
                                  x.name === r.name ? { ...x, description: e.target.value } : x,
                                ),
                              )
                            }
                          />
                        ) : (
                          <span className="muted small">{r.description}</span>
                        )}
                      </div>
                    </td>
                    {sections.map((s) => (
                      <td key={s} className="center">
                        <select
                          value={r.permissions[s] ?? 'none'}
                          disabled={!editable}
                          data-testid={`role-${r.name}-${s}`}
                          className={`perm perm-${r.permissions[s] ?? 'none'}`}
                          onChange={(e) => setLevel(r, s, e.target.value as Permission)}
                        >
                          {LEVELS.map((l) => (
                            <option key={l} value={l}>
                              {t(`permission.${l}` as MessageKey)}
                            </option>
                          ))}
                        </select>
                      </td>
                    ))}
                    <td>
                      {editable && (
                        <div className="role-actions">
                          <button
                            type="button"
                            className="small primary"
                            data-testid={`role-save-${r.name}`}
                            onClick={() => save(r)}
                          >
                            {t('common.save')}
                          </button>
                          <button type="button" className="small danger" onClick={() => remove(r)}>
                            {t('common.delete')}
                          </button>
                        </div>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </Panel>
      {canWrite && (
        <Panel title={t('accounts.newRole')}>
          <div className="inline-form">
            <Field label={t('accounts.roleName')}>
              <input
                value={newName}
                data-testid="role-new-name"
                onChange={(e) => setNewName(e.target.value)}
              />
            </Field>
            <button
              type="button"
              data-testid="role-add"
              onClick={add}
              // until the stored roles arrive, an added role would be overwritten by them
              disabled={!newName || !data}
            >
              {t('accounts.addRole')}
            </button>
          </div>
        </Panel>
      )}
    </>
  );
}
