import { lazy } from 'react';
import type { RouteObject } from 'react-router';
import { BuiltinAccountsOnly } from './components/BuiltinAccountsOnly';
import { Shell } from './components/Shell';
import { CallbackPage } from './pages/CallbackPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { RunPage } from './pages/RunPage';
import { RunsPage } from './pages/RunsPage';
import { SignInPage } from './pages/SignInPage';
import { TokensPage } from './pages/TokensPage';
import { UsersPage } from './pages/UsersPage';

// The launch form (rjsf and its validator) is most of the code; load it when first wanted.
const NewRunPage = lazy(() => import('./pages/NewRunPage').then((m) => ({ default: m.NewRunPage })));

export const routes: RouteObject[] = [
  { path: '/sign-in', element: <SignInPage /> },
  { path: '/callback', element: <CallbackPage /> },
  {
    element: <Shell />,
    children: [
      { index: true, element: <RunsPage /> },
      { path: 'runs/:id', element: <RunPage /> },
      { path: 'new', element: <NewRunPage /> },
      {
        path: 'tokens',
        element: (
          <BuiltinAccountsOnly>
            <TokensPage />
          </BuiltinAccountsOnly>
        ),
      },
      {
        path: 'users',
        element: (
          <BuiltinAccountsOnly>
            <UsersPage />
          </BuiltinAccountsOnly>
        ),
      },
    ],
  },
  { path: '*', element: <NotFoundPage /> },
];
