import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { createUser, listUsers, updateUser } from '../api/endpoints';
import { ROLES, type Role, type UserChange } from '../api/models';
import { useCurrentUser } from '../auth/currentUser';
import { isAdmin } from '../auth/permissions';
import { ErrorMessage } from '../components/ErrorMessage';

export function UsersPage() {
  const { role: myRole } = useCurrentUser();
  const queryClient = useQueryClient();
  const users = useQuery({ queryKey: ['users'], queryFn: listUsers, enabled: isAdmin(myRole) });
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('launcher');
  // Refetched after a refusal too, so that a select shows the role the user really has.
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['users'] });
  const refreshAll = () => Promise.all([refresh(), queryClient.invalidateQueries({ queryKey: ['me'] })]);
  const create = useMutation({
    mutationFn: () => createUser(name.trim(), password, role),
    onSuccess: () => {
      setName('');
      setPassword('');
      return refresh();
    },
  });
  const update = useMutation({
    mutationFn: ({ user, change }: { user: string; change: UserChange }) => updateUser(user, change),
    onSettled: refreshAll,
  });
  if (!isAdmin(myRole)) return <p className="empty">Only an admin manages users.</p>;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <>
      <h1>Users</h1>
      <form onSubmit={submit} className="inline-form">
        <label>
          New username
          <input value={name} required autoComplete="off" onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          New password
          <input
            type="password"
            value={password}
            required
            autoComplete="new-password"
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <label>
          New user's role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={create.isPending}>
          Create user
        </button>
      </form>
      <ErrorMessage error={create.error ?? update.error ?? users.error} />
      {users.data && (
        <table aria-label="Users">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.data.map((user) => (
              <tr key={user.name}>
                <td>{user.name}</td>
                <td>
                  <select
                    aria-label={`Role of ${user.name}`}
                    value={user.role}
                    onChange={(e) =>
                      update.mutate({ user: user.name, change: { role: e.target.value as Role } })
                    }
                  >
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td>{user.disabled ? 'disabled' : 'active'}</td>
                <td>
                  <button
                    type="button"
                    onClick={() => update.mutate({ user: user.name, change: { disabled: !user.disabled } })}
                  >
                    {user.disabled ? 'Enable' : 'Disable'} {user.name}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
