import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { getToken, setToken } from './auth/token';
import { fakeApi, Reply } from './test/fakeApi';
import { BUILTIN, me, OIDC, run } from './test/fixtures';
import { renderApp } from './test/render';

describe('signing in', () => {
  it('sends an anonymous visitor to sign in without asking for any run', async () => {
    const calls = fakeApi({ 'GET /auth/config': BUILTIN });
    const router = renderApp('/runs/run-1');
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/sign-in');
    expect(calls.map((c) => c.path)).toEqual(['/auth/config']);
  });

  it('says so when the name or password is wrong', async () => {
    fakeApi({
      'GET /auth/config': BUILTIN,
      'POST /auth/token': new Reply(401, { msg: 'bad credentials', status_code: 401 }),
    });
    renderApp('/sign-in');
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Username'), 'ada');
    await user.type(screen.getByLabelText('Password'), 'wrong');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Incorrect username or password');
    expect(getToken()).toBeNull();
  });

  it('shows the message of a refusal for too many attempts', async () => {
    fakeApi({
      'GET /auth/config': BUILTIN,
      'POST /auth/token': new Reply(429, { msg: 'too many sign-in attempts; wait 60 s', status_code: 429 }),
    });
    renderApp('/sign-in');
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Username'), 'ada');
    await user.type(screen.getByLabelText('Password'), 'pw');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('too many sign-in attempts; wait 60 s');
  });

  it('keeps the token in sessionStorage and returns to the page first asked for', async () => {
    fakeApi({
      'GET /auth/config': BUILTIN,
      'POST /auth/token': { access_token: 'jwt-1', token_type: 'bearer', expires_in: 3600 },
      'GET /users/me': me('admin'),
      'GET /runs/run-1': run({ name: 'my run' }),
      'GET /runs/run-1/tasks': { tasks: [], next_page_token: '' },
      'GET /runs/run-1/logs': { lines: [], next_offset: 0, complete: true },
      'GET /runs/run-1/outputs': { outputs: {} },
    });
    const router = renderApp('/runs/run-1');
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Username'), 'ada');
    await user.type(screen.getByLabelText('Password'), 'secret');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('heading', { name: 'my run' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/runs/run-1');
    expect(sessionStorage.getItem('batchflow.token')).toBe('jwt-1');
    expect(localStorage.length).toBe(0);
    expect(document.cookie).toBe('');
  });

  it('offers the OpenID provider when the service uses one', async () => {
    fakeApi({ 'GET /auth/config': OIDC });
    renderApp('/sign-in');
    expect(await screen.findByRole('button', { name: 'Sign in with Example ID' })).toBeInTheDocument();
    expect(screen.queryByLabelText('Password')).not.toBeInTheDocument();
  });

  it('explains, instead of a password form, that the OpenID service has no browser sign-in', async () => {
    fakeApi({ 'GET /auth/config': { mode: 'oidc', oidc: null } });
    renderApp('/sign-in');
    const main = await screen.findByRole('main');
    await waitFor(() => expect(main).toHaveTextContent('has no browser sign-in configured'));
    expect(main).toHaveTextContent('batchflow login --token');
    expect(main).toHaveTextContent('BATCHFLOW_OIDC_CLIENT_ID');
    expect(screen.queryByLabelText('Password')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Sign in' })).not.toBeInTheDocument();
  });

  it('needs no sign-in when the service has authentication off', async () => {
    const calls = fakeApi({
      'GET /auth/config': { mode: 'none', oidc: null },
      'GET /users/me': me('admin', 'anonymous'),
      'GET /runs': { runs: [], next_page_token: '' },
    });
    renderApp('/');
    expect(await screen.findByRole('table', { name: 'Runs' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Sign out' })).not.toBeInTheDocument();
    expect(calls.every((c) => !c.headers.has('Authorization'))).toBe(true);
  });
});

describe('the navigation bar', () => {
  function signedInAs(role: 'admin' | 'viewer' | 'launcher') {
    setToken('tok');
    fakeApi({
      'GET /auth/config': BUILTIN,
      'GET /users/me': me(role, 'grace'),
      'GET /runs': { runs: [], next_page_token: '' },
    });
    renderApp('/');
  }

  it("shows an admin every page, with the user's name and role", async () => {
    signedInAs('admin');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(
      within(nav)
        .getAllByRole('link')
        .map((a) => a.textContent),
    ).toEqual(['Runs', 'New run', 'Tokens', 'Users']);
    expect(screen.getByText('grace (admin)')).toBeInTheDocument();
  });

  it('offers a viewer no new run and no users', async () => {
    signedInAs('viewer');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(
      within(nav)
        .getAllByRole('link')
        .map((a) => a.textContent),
    ).toEqual(['Runs', 'Tokens']);
  });

  it('signs out by forgetting the token', async () => {
    signedInAs('launcher');
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Sign out' }));
    expect(await screen.findByLabelText('Username')).toBeInTheDocument();
    expect(getToken()).toBeNull();
  });
});

describe('a service that keeps no accounts (OpenID sign-in)', () => {
  function signedInWithProvider() {
    setToken('provider-token');
    sessionStorage.setItem('oidc.user:https://id.example:bf', '{"access_token":"provider-token"}');
    return fakeApi({
      'GET /auth/config': OIDC,
      'GET /users/me': { name: 'olga', role: 'admin', via: 'oidc' },
      'GET /runs': { runs: [], next_page_token: '' },
    });
  }

  it('offers no tokens or users pages, even to an admin', async () => {
    signedInWithProvider();
    renderApp('/');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(
      within(nav)
        .getAllByRole('link')
        .map((a) => a.textContent),
    ).toEqual(['Runs', 'New run']);
  });

  it.each(['/tokens', '/users'])(
    'explains at %s why there is nothing to manage, without asking',
    async (path) => {
      const calls = signedInWithProvider();
      renderApp(path);
      expect(await screen.findByText(/keeps no users or tokens/)).toHaveTextContent('OpenID provider');
      expect(calls.map((c) => c.path)).toEqual(['/auth/config', '/users/me']);
    },
  );

  it("forgets the provider's tokens on signing out", async () => {
    signedInWithProvider();
    renderApp('/');
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('button', { name: 'Sign in with Example ID' })).toBeInTheDocument();
    expect(sessionStorage.length).toBe(0);
  });
});

it('sends the user to sign in again when the token is refused', async () => {
  setToken('expired');
  fakeApi({
    'GET /auth/config': BUILTIN,
    'GET /users/me': new Reply(401, { msg: 'the token has expired', status_code: 401 }),
  });
  renderApp('/');
  await waitFor(() => expect(getToken()).toBeNull());
  expect(await screen.findByLabelText('Username')).toBeInTheDocument();
});

it('sends the user to sign in when any request is refused for its token', async () => {
  setToken('revoked');
  fakeApi({
    'GET /auth/config': BUILTIN,
    'GET /users/me': me('admin'),
    'GET /runs': new Reply(401, { msg: 'the token was revoked', status_code: 401 }),
  });
  const router = renderApp('/');
  expect(await screen.findByLabelText('Username')).toBeInTheDocument();
  expect(router.state.location.pathname).toBe('/sign-in');
  expect(getToken()).toBeNull();
});
