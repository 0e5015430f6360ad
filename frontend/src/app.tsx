import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { RouterProvider, type createBrowserRouter } from 'react-router';
import { onUnauthorized } from './api/client';
import { createQueryClient } from './queryClient';

type Router = ReturnType<typeof createBrowserRouter>;

/** The dashboard on `router`; a refused token anywhere leads to the sign-in page. */
export function createApp(router: Router) {
  const queryClient = createQueryClient();
  onUnauthorized(() => {
    queryClient.clear();
    void router.navigate('/sign-in', { replace: true, state: { from: router.state.location } });
  });
  return (
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </StrictMode>
  );
}
