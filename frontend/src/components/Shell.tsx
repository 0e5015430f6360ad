import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Suspense } from 'react';
import { Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { getMe } from '../api/endpoints';
import { CurrentUserContext } from '../auth/currentUser';
import { canLaunch, isAdmin } from '../auth/permissions';
import { clearToken, getToken } from '../auth/token';
import { useAuthConfig } from '../auth/useAuthConfig';
import { ErrorMessage } from './ErrorMessage';

/** The signed-in layout: anyone without a token goes to the sign-in page and sees no data. */
export function Shell() {
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const config = useAuthConfig();
  const signedIn = config.data?.mode === 'none' || getToken() !== null;
  const me = useQuery({ queryKey: ['me'], queryFn: getMe, enabled: config.isSuccess && signedIn });

  if (config.isSuccess && !signedIn) return <Navigate to="/sign-in" replace state={{ from: location }} />;
  if (!me.data || !config.data) {
    return (
      <main>
        {config.isError || me.isError ? (
          <ErrorMessage error={config.error ?? me.error} />
        ) : (
          <p className="loading">Loading…</p>
        )}
      </main>
    );
  }

  const { mode } = config.data;
  const accounts = mode === 'builtin';
  const signOut = async () => {
    clearToken();
    queryClient.clear();
    await navigate('/sign-in');
  };
  return (
    <CurrentUserContext.Provider value={me.data}>
      <header className="topbar">
        <nav aria-label="Main">
          <span className="brand">batchflow</span>
          <NavLink to="/" end>
            Runs
          </NavLink>
          {canLaunch(me.data.role) && <NavLink to="/new">New run</NavLink>}
          {accounts && <NavLink to="/tokens">Tokens</NavLink>}
          {accounts && isAdmin(me.data.role) && <NavLink to="/users">Users</NavLink>}
        </nav>
        <div className="who">
          <span>
            {me.data.name} ({me.data.role})
          </span>
          {mode !== 'none' && (
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          )}
        </div>
      </header>
      <main>
        <Suspense fallback={<p className="loading">Loading…</p>}>
          <Outlet />
        </Suspense>
      </main>
    </CurrentUserContext.Provider>
  );
}
