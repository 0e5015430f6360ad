import type { ReactNode } from 'react';
import { useAuthConfig } from '../auth/useAuthConfig';

/**
 * Users and personal tokens exist only with built-in sign-in: in any other mode the service
 * keeps none and answers 400, so say why instead of asking it.
 */
export function BuiltinAccountsOnly({ children }: { children: ReactNode }) {
  const mode = useAuthConfig().data?.mode;
  if (mode === undefined || mode === 'builtin') return children;
  const why =
    mode === 'oidc'
      ? 'it signs people in through an OpenID provider (BATCHFLOW_AUTH=oidc), which manages them'
      : 'authentication is off (BATCHFLOW_AUTH=none)';
  return <p className="empty">This service keeps no users or tokens: {why}.</p>;
}
