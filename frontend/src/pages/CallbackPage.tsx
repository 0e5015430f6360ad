import { useQuery } from '@tanstack/react-query';
import { Link, Navigate, useLocation } from 'react-router';
import { userManager } from '../auth/oidc';
import { setToken } from '../auth/token';
import { useAuthConfig } from '../auth/useAuthConfig';
import { ErrorMessage } from '../components/ErrorMessage';

/** Where the OpenID provider sends the browser back with a code; its access (or ID) token becomes the bearer. */
export function CallbackPage() {
  const config = useAuthConfig();
  const { search } = useLocation();
  const oidc = config.data?.oidc;
  // A query rather than an effect: the code is exchanged once however often this renders.
  const exchange = useQuery({
    queryKey: ['oidc-callback', search],
    queryFn: async () => {
      const manager = await userManager(oidc!);
      const user = await manager.signinRedirectCallback();
      const token = oidc!.token === 'id' ? user.id_token : user.access_token;
      // The bearer is all the dashboard needs: the provider's other tokens are not kept.
      await manager.removeUser();
      if (!token) throw new Error(`the provider sent no ${oidc!.token} token`);
      setToken(token);
      return true;
    },
    enabled: Boolean(oidc),
    retry: false,
    staleTime: Infinity,
  });
  const error =
    config.error ?? exchange.error ?? (config.data && !oidc ? 'OpenID sign-in is not configured' : null);
  if (error) {
    return (
      <main className="sign-in">
        <h1>Sign-in failed</h1>
        <ErrorMessage error={error} />
        <Link to="/sign-in">Try again</Link>
      </main>
    );
  }
  if (exchange.isSuccess) return <Navigate to="/" replace />;
  return <p className="loading">Signing in…</p>;
}
