import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Role, Run, Task } from '../api/models';
import { setToken } from '../auth/token';
import { fakeApi, type Call } from '../test/fakeApi';
import { BUILTIN, me, run } from '../test/fixtures';
import { renderApp } from '../test/render';

const task = (id: string, overrides: Partial<Task> = {}): Task => ({
  id,
  run_id: 'run-1',
  name: 'count',
  state: 'COMPLETE',
  attempt: 1,
  wildcards: { sample: id },
  batch_job_id: `job-${id}`,
  exit_code: 0,
  reason: null,
  log_stream: `count/${id}`,
  created_at: '2025-01-01T00:00:10Z',
  started_at: '2025-01-01T00:00:12Z',
  ended_at: '2025-01-01T00:00:42Z',
  ...overrides,
});

function serve(role: Role, shown: Run, routes: Record<string, unknown> = {}) {
  setToken('tok');
  return fakeApi({
    'GET /auth/config': BUILTIN,
    'GET /users/me': me(role),
    [`GET /runs/${shown.id}`]: shown,
    [`GET /runs/${shown.id}/tasks`]: (call: Call) =>
      call.query.get('page_token') === 'next'
        ? { tasks: [task('beta', { state: 'EXECUTOR_ERROR', exit_code: 1 })], next_page_token: '' }
        : { tasks: [task('alpha')], next_page_token: 'next' },
    [`GET /runs/${shown.id}/logs`]: (call: Call) =>
      call.query.get('offset') === '0'
        ? { lines: ['Building DAG of jobs...', 'Finished.'], next_offset: 2, complete: true }
        : { lines: [], next_offset: 2, complete: true },
    [`GET /runs/${shown.id}/outputs`]: {
      outputs: {
        prefix: 's3://bucket/runs/run-1/results/',
        files: ['s3://bucket/runs/run-1/results/counts/alpha.txt'],
      },
    },
    ...routes,
  });
}

describe('the run page', () => {
  it('shows the run, its tasks from every page, its timeline, log and results', async () => {
    serve('launcher', run({ name: 'nightly', params: { length: 50 }, tags: { project: 'x' } }));
    renderApp('/runs/run-1');
    expect(await screen.findByRole('heading', { name: 'nightly' })).toBeInTheDocument();
    expect(screen.getByRole('status', { name: 'Run state' })).toHaveTextContent('COMPLETE');
    expect(screen.getByText('project:x')).toBeInTheDocument();
    expect(screen.getByText(/"length": 50/)).toBeInTheDocument();

    const tasks = await screen.findByRole('table', { name: 'Tasks' });
    expect(
      within(tasks)
        .getAllByRole('columnheader')
        .map((th) => th.textContent),
    ).toEqual(['Rule', 'Wildcards', 'State', 'Attempts', 'Duration', 'Exit code', 'Log']);
    expect(within(tasks).getByText('sample=beta')).toBeInTheDocument();
    expect(within(tasks).getByText('EXECUTOR_ERROR')).toBeInTheDocument();
    expect(within(tasks).getAllByText('30s')).toHaveLength(2);

    const timeline = screen.getByRole('img', { name: 'Timeline' });
    expect(timeline.querySelectorAll('rect[data-state="EXECUTOR_ERROR"]')).toHaveLength(2);
    expect(timeline.querySelector('rect title')).toHaveTextContent('count (sample=alpha): queued 2s');

    await waitFor(() =>
      expect(screen.getByLabelText('Run log')).toHaveTextContent('Building DAG of jobs... Finished.'),
    );
    expect(
      within(screen.getByRole('list', { name: 'Results' })).getByRole('button', { name: 'counts/alpha.txt' }),
    ).toBeInTheDocument();
  });

  it('downloads a result through a short-lived link', async () => {
    const calls = serve('launcher', run(), {
      'POST /runs/run-1/download-links': { url: '/downloads/abc', expires_at: '2025-01-01T01:00:00Z' },
    });
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    renderApp('/runs/run-1');
    await userEvent.setup().click(await screen.findByRole('button', { name: 'counts/alpha.txt' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('/downloads/abc'));
    expect(JSON.parse(String(calls.find((c) => c.method === 'POST')!.body))).toEqual({
      path: 'counts/alpha.txt',
    });
  });

  it("opens a task's log", async () => {
    serve('viewer', run(), { 'GET /runs/run-1/tasks/alpha/logs': 'counting alpha\ndone\n' });
    renderApp('/runs/run-1');
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Log of alpha' }));
    const region = await screen.findByRole('region', { name: 'Task log' });
    await waitFor(() => expect(region).toHaveTextContent('counting alpha'));
  });

  it('cancels a run that is still going', async () => {
    const calls = serve('launcher', run({ state: 'RUNNING', ended_at: null }), {
      'POST /runs/run-1/cancel': run({ state: 'CANCELING', ended_at: null }),
    });
    renderApp('/runs/run-1');
    const cancel = await screen.findByRole('button', { name: 'Cancel run' });
    expect(screen.queryByRole('button', { name: 'Resume' })).not.toBeInTheDocument();
    await userEvent.setup().click(cancel);
    await waitFor(() =>
      expect(screen.getByRole('status', { name: 'Run state' })).toHaveTextContent('CANCELING'),
    );
    expect(calls.some((c) => c.method === 'POST' && c.path === '/runs/run-1/cancel')).toBe(true);
  });

  it('keeps measuring unfinished tasks while the tasks of the run that just ended load', async () => {
    let canceled = false;
    const running = task('alpha', { state: 'RUNNING', ended_at: null, exit_code: null });
    serve('launcher', run({ state: 'RUNNING', ended_at: null }), {
      'POST /runs/run-1/cancel': () => {
        canceled = true;
        return run({ state: 'CANCELED' });
      },
      // Once the run ended its tasks are asked for again; until they come, the last ones show.
      'GET /runs/run-1/tasks': () =>
        canceled ? new Promise(() => {}) : { tasks: [running], next_page_token: '' },
    });
    renderApp('/runs/run-1');
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Cancel run' }));
    await waitFor(() =>
      expect(screen.getByRole('status', { name: 'Run state' })).toHaveTextContent('CANCELED'),
    );

    const tasks = screen.getByRole('table', { name: 'Tasks' });
    const duration = within(tasks).getAllByRole('cell')[4];
    expect(duration.textContent).toMatch(/^\d+h \d\dm$/);
    const bar = screen.getByRole('img', { name: 'Timeline' }).querySelector('rect.bar-running')!;
    expect(Number(bar.getAttribute('width'))).toBeGreaterThan(100);
  });

  it('shows a dash for a run without an owner', async () => {
    serve('viewer', run({ owner: null }));
    renderApp('/runs/run-1');
    const owner = (await screen.findByText('Owner')).nextElementSibling;
    expect(owner).toHaveTextContent(/^—$/);
  });

  it('offers no resume for a preempted run, which the service does not resume', async () => {
    serve('maintainer', run({ state: 'PREEMPTED', ended_at: null }));
    renderApp('/runs/run-1');
    await screen.findByRole('status', { name: 'Run state' });
    expect(screen.queryByRole('button', { name: 'Resume' })).not.toBeInTheDocument();
  });

  it('resumes a failed run and opens the new one', async () => {
    serve('maintainer', run({ state: 'EXECUTOR_ERROR', reason: 'rule count failed' }), {
      'POST /runs/run-1/resume': run({ id: 'run-2', resumed_from: 'run-1' }),
      'GET /runs/run-2': run({ id: 'run-2', resumed_from: 'run-1' }),
    });
    const router = renderApp('/runs/run-1');
    expect(await screen.findByText('rule count failed')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cancel run' })).not.toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/runs/run-2'));
    expect(await screen.findByRole('link', { name: 'run-1' })).toHaveAttribute('href', '/runs/run-1');
  });

  it('offers a viewer neither cancel nor resume', async () => {
    serve('viewer', run({ state: 'RUNNING', ended_at: null }));
    renderApp('/runs/run-1');
    await screen.findByRole('status', { name: 'Run state' });
    expect(screen.queryByRole('button', { name: 'Cancel run' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Resume' })).not.toBeInTheDocument();
  });

  it('shows results of another shape as JSON', async () => {
    serve('launcher', run({ engine: 'mock' }), { 'GET /runs/run-1/outputs': { outputs: { steps: 3 } } });
    renderApp('/runs/run-1');
    expect(await screen.findByText(/"steps": 3/)).toBeInTheDocument();
  });
});
