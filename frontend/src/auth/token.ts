// The bearer token lives in this tab's sessionStorage only: never a cookie, never localStorage.
const KEY = 'batchflow.token';

/** What oidc-client-ts's keys in sessionStorage start with (its user, with the provider's tokens, and its state). */
export const OIDC_STORAGE_PREFIX = 'oidc.';

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

/** Forgets the bearer token and everything oidc-client-ts kept, so no provider token outlives it. */
export function clearToken(): void {
  sessionStorage.removeItem(KEY);
  const oidcKeys = Object.keys(sessionStorage).filter((key) => key.startsWith(OIDC_STORAGE_PREFIX));
  for (const key of oidcKeys) sessionStorage.removeItem(key);
}
