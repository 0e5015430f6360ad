import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate, type Location } from 'react-router';
import { ApiError } from '../api/client';
import { signIn } from '../api/endpoints';
import { userManager } from '../auth/oidc';
import { setToken } from '../auth/token';
import { useAuthConfig } from '../auth/useAuthConfig';
import { ErrorMessage } from '../components/ErrorMessage';

function signInError(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) return 'Incorrect username or password';
  return error instanceof Error ? error.message : String(error);
}

export function SignInPage() {
  const config = useAuthConfig();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const from = (useLocation().state as { from?: Location } | null)?.from;
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const builtin = useMutation({
    mutationFn: () => signIn(username, password),
    onSuccess: async (token) => {
      setToken(token.access_token);
      queryClient.removeQueries({ queryKey: ['me'] });
      await navigate(from ?? '/', { replace: true });
    },
  });
  const oidc = useMutation({
    mutationFn: async () => (await userManager(config.data!.oidc!)).signinRedirect(),
  });

  if (config.isError) return <ErrorMessage error={config.error} />;
  if (!config.data) return <p className="loading">Loading…</p>;
  if (config.data.mode === 'none') return <Navigate to="/" replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    builtin.mutate();
  };
  const provider = config.data.oidc;
  return (
    <main className="sign-in">
      <h1>Sign in to batchflow</h1>
      {config.data.mode === 'oidc' ? (
        provider ? (
          <>
            <button type="button" onClick={() => oidc.mutate()} disabled={oidc.isPending}>
              Sign in with {provider.name}
            </button>
            <ErrorMessage error={oidc.error} />
          </>
        ) : (
          <p className="empty">
            This service signs people in through an OpenID provider and has no browser sign-in configured.
            Present the provider&apos;s token to the API (<code>batchflow login --token</code>), or ask the
            admin to set <code>BATCHFLOW_OIDC_CLIENT_ID</code>.
          </p>
        )
      ) : (
        <form onSubmit={submit}>
          <label htmlFor="username">Username</label>
          <input
            id="username"
            autoComplete="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
          <label htmlFor="password">Password</label>
          <input
            id="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <button type="submit" disabled={builtin.isPending}>
            Sign in
          </button>
          {builtin.isError && (
            <p role="alert" className="error">
              {signInError(builtin.error)}
            </p>
          )}
        </form>
      )}
    </main>
  );
}
