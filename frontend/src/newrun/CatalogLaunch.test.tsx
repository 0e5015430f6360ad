import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { setToken } from '../auth/token';
import { fakeApi, Reply } from '../test/fakeApi';
import { BUILTIN, DEMO, me, QUICKSTART, run } from '../test/fixtures';
import { renderApp } from '../test/render';

function serve(postRuns: unknown = run({ id: 'new-run' })) {
  setToken('tok');
  return fakeApi({
    'GET /auth/config': BUILTIN,
    'GET /users/me': me('launcher'),
    'GET /workflows': { workflows: [QUICKSTART, DEMO] },
    'POST /runs': postRuns,
    'GET /runs/new-run': run({ id: 'new-run', name: 'first' }),
  });
}

const posts = (calls: ReturnType<typeof fakeApi>) => calls.filter((c) => c.method === 'POST');

describe('the launch form generated from a workflow schema', () => {
  it('shows each parameter with its label, help and default', async () => {
    serve();
    renderApp('/new');
    const length = await screen.findByLabelText('length');
    expect(length).toHaveValue(2000);
    expect(screen.getByText('bases per sequence')).toBeInTheDocument();
    expect(screen.getByText('sample names; one simulated sequence each')).toBeInTheDocument();
    expect(screen.getAllByRole('textbox').map((box) => (box as HTMLInputElement).value)).toEqual(
      expect.arrayContaining(['alpha', 'beta', 'gamma']),
    );
    expect(screen.getByLabelText('Workflow')).toHaveAccessibleDescription(QUICKSTART.description);
    expect(screen.queryByLabelText('Engine')).not.toBeInTheDocument();
  });

  it('launches with the parameters and opens the new run', async () => {
    const calls = serve();
    const router = renderApp('/new');
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Run name'), 'first');
    await user.clear(screen.getByLabelText('length'));
    await user.type(screen.getByLabelText('length'), '50');
    await user.click(screen.getByRole('button', { name: 'Launch' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/runs/new-run'));
    expect(JSON.parse(String(posts(calls)[0].body))).toEqual({
      workflow: 'quickstart',
      engine: 'snakemake',
      name: 'first',
      params: { samples: ['alpha', 'beta', 'gamma'], length: 50 },
      tags: {},
    });
  });

  it('refuses a value out of range before sending anything', async () => {
    const calls = serve();
    renderApp('/new');
    const user = userEvent.setup();
    const length = await screen.findByLabelText('length');
    await user.clear(length);
    await user.type(length, '5');
    await user.click(screen.getByRole('button', { name: 'Launch' }));
    expect(await screen.findByText('5 is less than 10.')).toBeInTheDocument();
    expect(length.closest('.form-group')).toHaveTextContent('5 is less than 10.');
    expect(posts(calls)).toEqual([]);
  });

  it("shows the service's refusal of a parameter beside that field", async () => {
    serve(new Reply(400, { msg: "params['length']: 2000 is more than this queue allows", status_code: 400 }));
    renderApp('/new');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Launch' }));
    const message = await screen.findByText('2000 is more than this queue allows');
    expect(message.closest('.form-group')).toContainElement(screen.getByLabelText('length'));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows other refusals at the top of the form', async () => {
    serve(new Reply(403, { msg: 'a launcher may not run uploaded workflows', status_code: 403 }));
    renderApp('/new');
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Launch' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('a launcher may not run uploaded workflows');
  });

  it('offers the engines of a workflow that has several', async () => {
    const calls = serve();
    renderApp('/new');
    const user = userEvent.setup();
    await user.selectOptions(await screen.findByLabelText('Workflow'), 'demo');
    await user.selectOptions(screen.getByLabelText('Engine'), 'mock');
    expect(screen.getByLabelText('steps')).toHaveValue(3);
    await user.click(screen.getByRole('button', { name: 'Launch' }));
    await waitFor(() => expect(posts(calls)).toHaveLength(1));
    expect(JSON.parse(String(posts(calls)[0].body))).toMatchObject({
      workflow: 'demo',
      engine: 'mock',
      params: { steps: 3, delay_seconds: 0.5 },
    });
  });

  it('shows a launcher no way to upload a workflow', async () => {
    serve();
    renderApp('/new');
    await screen.findByLabelText('Workflow');
    expect(screen.queryByRole('radiogroup', { name: 'Source' })).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Workflow files')).not.toBeInTheDocument();
  });
});
