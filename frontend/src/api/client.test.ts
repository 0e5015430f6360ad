import { getToken, setToken } from '../auth/token';
import { fakeApi, Reply } from '../test/fakeApi';
import { ApiError, onUnauthorized } from './client';
import { getMe, signIn } from './endpoints';

describe('the API client', () => {
  it('sends the token as a bearer', async () => {
    setToken('tok-1');
    const calls = fakeApi({ 'GET /users/me': { name: 'ada', role: 'admin', via: 'password' } });
    await getMe();
    expect(calls[0].headers.get('Authorization')).toBe('Bearer tok-1');
  });

  it('clears the token and sends the user to sign in on a 401', async () => {
    setToken('expired');
    const signInAgain = vi.fn();
    onUnauthorized(signInAgain);
    fakeApi({ 'GET /users/me': new Reply(401, { msg: 'the token has expired', status_code: 401 }) });
    await expect(getMe()).rejects.toEqual(new ApiError(401, 'the token has expired'));
    expect(getToken()).toBeNull();
    expect(signInAgain).toHaveBeenCalledOnce();
  });

  it("forgets what the OpenID client kept, with the provider's tokens, on a 401", async () => {
    setToken('provider-token');
    sessionStorage.setItem('oidc.user:https://id.example:bf', '{"access_token":"provider-token"}');
    sessionStorage.setItem('oidc.8f2c', '{"code_verifier":"v"}');
    onUnauthorized(() => {});
    fakeApi({ 'GET /users/me': new Reply(401, { msg: 'the token has expired', status_code: 401 }) });
    await expect(getMe()).rejects.toMatchObject({ status: 401 });
    expect(sessionStorage.length).toBe(0);
  });

  it('leaves a wrong password to the sign-in form', async () => {
    const signInAgain = vi.fn();
    onUnauthorized(signInAgain);
    const calls = fakeApi({
      'POST /auth/token': new Reply(401, { msg: 'bad credentials', status_code: 401 }),
    });
    await expect(signIn('ada', 'nope')).rejects.toMatchObject({ status: 401 });
    expect(signInAgain).not.toHaveBeenCalled();
    expect(String(calls[0].body)).toBe('username=ada&password=nope');
    expect(calls[0].headers.get('Authorization')).toBeNull();
  });

  it("carries the service's message in its errors", async () => {
    setToken('tok');
    fakeApi({ 'GET /users/me': new Reply(503, { msg: 'the store cannot be reached', status_code: 503 }) });
    await expect(getMe()).rejects.toMatchObject({ status: 503, message: 'the store cannot be reached' });
  });
});
