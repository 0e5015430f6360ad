import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Role } from '../api/models';
import { setToken } from '../auth/token';
import { fakeApi, type Call } from '../test/fakeApi';
import { BUILTIN, me, run } from '../test/fixtures';
import { renderApp } from '../test/render';

function serve(role: Role) {
  setToken('tok');
  return fakeApi({
    'GET /auth/config': BUILTIN,
    'GET /users/me': me(role),
    'GET /runs': (call: Call) =>
      call.query.get('page_token') === 'p2'
        ? { runs: [run({ id: 'old', owner: 'bob' })], next_page_token: '' }
        : {
            runs: [run({ id: 'r1', name: 'nightly' }), run({ id: 'r2', state: 'RUNNING', ended_at: null })],
            next_page_token: 'p2',
          },
  });
}

const runQueries = (calls: Call[]) =>
  calls.filter((c) => c.path === '/runs').map((c) => Object.fromEntries(c.query));

describe('the runs list', () => {
  it('lists runs with a link to each, named or not', async () => {
    serve('launcher');
    renderApp('/');
    const table = await screen.findByRole('table', { name: 'Runs' });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((th) => th.textContent),
    ).toEqual(['Name', 'Workflow', 'Engine', 'State', 'Started', 'Duration']);
    expect(await within(table).findByRole('link', { name: 'nightly' })).toHaveAttribute('href', '/runs/r1');
    expect(within(table).getByRole('link', { name: 'r2' })).toBeInTheDocument();
    expect(within(table).getByText('COMPLETE')).toBeInTheDocument();
    expect(within(table).getByText('1m 00s')).toBeInTheDocument();
    expect(screen.queryByLabelText('Owner filter')).not.toBeInTheDocument();
  });

  it('keeps measuring unfinished runs while the runs of new filters load', async () => {
    setToken('tok');
    fakeApi({
      'GET /auth/config': BUILTIN,
      'GET /users/me': me('viewer'),
      'GET /runs': (call: Call) =>
        call.query.has('state')
          ? new Promise(() => {})
          : { runs: [run({ id: 'r2', state: 'RUNNING', ended_at: null })], next_page_token: '' },
    });
    renderApp('/');
    const table = await screen.findByRole('table', { name: 'Runs' });
    const row = (await within(table).findByRole('link', { name: 'r2' })).closest('tr')!;
    await userEvent.setup().selectOptions(screen.getByLabelText('State filter'), 'COMPLETE');
    expect(row.lastElementChild!.textContent).toMatch(/^\d+h \d\dm$/);
  });

  it('shows an admin the owner column and filter', async () => {
    const calls = serve('admin');
    renderApp('/');
    const table = await screen.findByRole('table', { name: 'Runs' });
    expect(within(table).getByRole('columnheader', { name: 'Owner' })).toBeInTheDocument();
    await userEvent.setup().type(screen.getByLabelText('Owner filter'), 'bob');
    await waitFor(() => expect(runQueries(calls).at(-1)).toMatchObject({ owner: 'bob' }));
  });

  it('filters by state and tag', async () => {
    const calls = serve('viewer');
    renderApp('/');
    const user = userEvent.setup();
    await user.selectOptions(await screen.findByLabelText('State filter'), 'RUNNING');
    await user.type(screen.getByLabelText('Tag filter'), 'project:x');
    await waitFor(() =>
      expect(runQueries(calls).at(-1)).toEqual({ state: 'RUNNING', tag: 'project:x', page_size: '25' }),
    );
  });

  it('pages with the cursor, forwards and back', async () => {
    const calls = serve('launcher');
    renderApp('/');
    const user = userEvent.setup();
    await screen.findByRole('link', { name: 'nightly' });
    expect(screen.getByRole('button', { name: 'Previous page' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByRole('link', { name: 'old' })).toBeInTheDocument();
    expect(runQueries(calls).at(-1)).toEqual({ page_size: '25', page_token: 'p2' });
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    expect(await screen.findByRole('link', { name: 'nightly' })).toBeInTheDocument();
  });
});
