import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { User } from '../api/models';
import { setToken } from '../auth/token';
import { fakeApi, Reply, type Call } from '../test/fakeApi';
import { BUILTIN, me } from '../test/fixtures';
import { renderApp } from '../test/render';

function serve() {
  setToken('tok');
  let users: User[] = [
    { name: 'ada', role: 'admin', disabled: false },
    { name: 'bob', role: 'viewer', disabled: false },
  ];
  const calls = fakeApi({
    'GET /auth/config': BUILTIN,
    'GET /users/me': me('admin'),
    'GET /users': () => users,
    'POST /users': (call: Call) => {
      const created = { ...JSON.parse(String(call.body)), disabled: false };
      users = [...users, created];
      return created;
    },
    'PATCH /users/ada': new Reply(409, {
      msg: 'ada is the last admin; make another admin first',
      status_code: 409,
    }),
    'PATCH /users/bob': (call: Call) => {
      users = users.map((u) => (u.name === 'bob' ? { ...u, ...JSON.parse(String(call.body)) } : u));
      return users[1];
    },
  });
  return calls;
}

describe('managing users', () => {
  it('creates a user with a role', async () => {
    const calls = serve();
    renderApp('/users');
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('New username'), 'cy');
    await user.type(screen.getByLabelText('New password'), 'long enough password');
    await user.selectOptions(screen.getByLabelText("New user's role"), 'maintainer');
    await user.click(screen.getByRole('button', { name: 'Create user' }));
    expect(await screen.findByLabelText('Role of cy')).toHaveValue('maintainer');
    expect(JSON.parse(String(calls.find((c) => c.method === 'POST')!.body))).toEqual({
      name: 'cy',
      password: 'long enough password',
      role: 'maintainer',
    });
  });

  it('changes a role and disables a user', async () => {
    serve();
    renderApp('/users');
    const user = userEvent.setup();
    const table = await screen.findByRole('table', { name: 'Users' });
    await user.selectOptions(within(table).getByLabelText('Role of bob'), 'launcher');
    await waitFor(() => expect(within(table).getByLabelText('Role of bob')).toHaveValue('launcher'));
    await user.click(within(table).getByRole('button', { name: 'Disable bob' }));
    expect(await within(table).findByRole('button', { name: 'Enable bob' })).toBeInTheDocument();
  });

  it('shows why the last admin cannot be demoted, and keeps the role shown true', async () => {
    serve();
    renderApp('/users');
    const user = userEvent.setup();
    const role = await screen.findByLabelText('Role of ada');
    await user.selectOptions(role, 'viewer');
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'ada is the last admin; make another admin first',
    );
    expect(role).toHaveValue('admin');
  });

  it('is not offered to anyone but an admin', async () => {
    setToken('tok');
    const calls = fakeApi({ 'GET /auth/config': BUILTIN, 'GET /users/me': me('maintainer') });
    renderApp('/users');
    expect(await screen.findByText('Only an admin manages users.')).toBeInTheDocument();
    expect(calls.some((c) => c.path === '/users')).toBe(false);
  });
});
