import { User } from 'oidc-client-ts';
import type { OidcConfig } from '../api/models';
import { userManager } from './oidc';
import { clearToken, setToken } from './token';
import { OIDC } from '../test/fixtures';

const CONFIG = OIDC.oidc as OidcConfig;

const providerUser = () =>
  new User({
    access_token: 'provider-access-token',
    refresh_token: 'provider-refresh-token',
    token_type: 'Bearer',
    profile: { iss: CONFIG.issuer, sub: 'olga', aud: CONFIG.client_id, exp: 2e9, iat: 1e9 },
  });

describe('OpenID sign-in', () => {
  it('never renews the provider token silently', async () => {
    expect((await userManager(CONFIG)).settings.automaticSilentRenew).toBe(false);
  });

  it("keeps the provider's tokens where clearing the token removes them too", async () => {
    setToken('provider-access-token');
    sessionStorage.setItem('unrelated', 'kept');
    await (await userManager(CONFIG)).storeUser(providerUser());
    expect(JSON.stringify({ ...sessionStorage })).toContain('provider-refresh-token');

    clearToken();

    expect({ ...sessionStorage }).toEqual({ unrelated: 'kept' });
  });
});
