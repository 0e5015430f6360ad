import type { UserManager } from 'oidc-client-ts';
import type { OidcConfig } from '../api/models';
import { OIDC_STORAGE_PREFIX } from './token';

const CALLBACK_PATH = '/ui/callback';

/**
 * Authorization code flow with PKCE; everything it keeps stays in this tab's sessionStorage, under
 * keys that clearToken removes. No silent renewal: the bearer is the token the callback received,
 * and a 401 leads to sign-in again. Loaded on demand: only a service with OpenID sign-in needs it.
 */
export async function userManager(config: OidcConfig): Promise<UserManager> {
  const { UserManager, WebStorageStateStore } = await import('oidc-client-ts');
  const store = new WebStorageStateStore({ store: window.sessionStorage, prefix: OIDC_STORAGE_PREFIX });
  const resource = config.resource ? { resource: config.resource } : undefined;
  return new UserManager({
    authority: config.issuer,
    client_id: config.client_id,
    scope: config.scope,
    redirect_uri: `${window.location.origin}${CALLBACK_PATH}`,
    response_type: 'code',
    automaticSilentRenew: false,
    userStore: store,
    stateStore: store,
    extraQueryParams: resource,
    extraTokenParams: resource,
  });
}
