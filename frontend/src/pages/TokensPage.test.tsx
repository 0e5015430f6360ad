import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { setToken } from '../auth/token';
import { fakeApi, Reply } from '../test/fakeApi';
import { BUILTIN, me } from '../test/fixtures';
import { renderApp } from '../test/render';

const CI = {
  id: 't1',
  owner: 'ada',
  name: 'ci',
  expires_at: '2025-02-01T00:00:00Z',
  created_at: '2025-01-01T00:00:00Z',
};

describe('personal access tokens', () => {
  it('creates a token and shows it once, ready to copy', async () => {
    setToken('tok');
    const calls = fakeApi({
      'GET /auth/config': BUILTIN,
      'GET /users/me': me('launcher'),
      'GET /users/me/tokens': [],
      'POST /users/me/tokens': { id: 't1', name: 'ci', token: 'bfp_secret', expires_at: CI.expires_at },
    });
    const user = userEvent.setup();
    const writeText = vi.spyOn(navigator.clipboard, 'writeText');
    renderApp('/tokens');
    expect(await screen.findByLabelText('Expires in days')).toHaveValue(30);
    await user.type(screen.getByLabelText('Token name'), 'ci');
    await user.click(screen.getByRole('button', { name: 'Create token' }));
    expect(await screen.findByLabelText('New token')).toHaveTextContent(/^bfp_secret$/);
    expect(JSON.parse(String(calls.find((c) => c.method === 'POST')!.body))).toEqual({
      name: 'ci',
      expires_in_days: 30,
    });
    await user.click(screen.getByRole('button', { name: 'Copy' }));
    expect(writeText).toHaveBeenCalledWith('bfp_secret');
  });

  it('revokes a token', async () => {
    setToken('tok');
    let tokens = [CI];
    const calls = fakeApi({
      'GET /auth/config': BUILTIN,
      'GET /users/me': me('launcher'),
      'GET /users/me/tokens': () => tokens,
      'DELETE /users/me/tokens/t1': () => {
        tokens = [];
        return new Reply(204, null);
      },
    });
    renderApp('/tokens');
    const table = await screen.findByRole('table', { name: 'Tokens' });
    await userEvent.setup().click(within(table).getByRole('button', { name: 'Revoke ci' }));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Revoke ci' })).not.toBeInTheDocument());
    expect(calls.some((c) => c.method === 'DELETE')).toBe(true);
  });

  it("shows the service's reason when tokens are not available", async () => {
    setToken('tok');
    fakeApi({
      'GET /auth/config': BUILTIN,
      'GET /users/me': me('launcher'),
      'GET /users/me/tokens': new Reply(400, {
        msg: 'personal access tokens are off with OpenID sign-in',
        status_code: 400,
      }),
    });
    renderApp('/tokens');
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'personal access tokens are off with OpenID sign-in',
    );
  });
});
