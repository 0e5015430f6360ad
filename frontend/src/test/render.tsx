import { render } from '@testing-library/react';
import { createMemoryRouter } from 'react-router';
import { createApp } from '../app';
import { routes } from '../routes';

/** The whole app at `path` (a path under /ui), as main.tsx wires it. */
export function renderApp(path: string) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  render(createApp(router));
  return router;
}
