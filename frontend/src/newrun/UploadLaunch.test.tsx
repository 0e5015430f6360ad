import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { setToken } from '../auth/token';
import { fakeApi } from '../test/fakeApi';
import { BUILTIN, me, QUICKSTART, run } from '../test/fixtures';
import { renderApp } from '../test/render';
import { relativePaths } from './UploadLaunch';

function inFolder(path: string): File {
  const file = new File(['rule all: input: []'], path.split('/').at(-1)!);
  Object.defineProperty(file, 'webkitRelativePath', { value: path });
  return file;
}

function serve() {
  setToken('tok');
  return fakeApi({
    'GET /auth/config': BUILTIN,
    'GET /users/me': me('maintainer'),
    'GET /workflows': { workflows: [QUICKSTART] },
    'POST /runs': run({ id: 'up-1', uploaded: true }),
    'GET /runs/up-1': run({ id: 'up-1', uploaded: true }),
  });
}

async function chooseUpload() {
  const user = userEvent.setup();
  const source = await screen.findByRole('radiogroup', { name: 'Source' });
  expect(source).toBeInTheDocument();
  await user.click(screen.getByRole('radio', { name: 'Upload a workflow' }));
  return user;
}

describe('uploading a workflow', () => {
  it('names files picked from a folder by their path inside it', () => {
    const paths = relativePaths([inFolder('flow/Snakefile'), inFolder('flow/scripts/x.py')]).map(
      (f) => f.path,
    );
    expect(paths).toEqual(['Snakefile', 'scripts/x.py']);
    expect(relativePaths([new File([''], 'Snakefile')]).map((f) => f.path)).toEqual(['Snakefile']);
  });

  it('sends the files, main file, engine and parameters as a form', async () => {
    const calls = serve();
    const router = renderApp('/new');
    const user = await chooseUpload();
    await user.upload(screen.getByLabelText('Workflow files'), [
      new File(['x'], 'Snakefile'),
      new File(['y'], 'x.py'),
    ]);
    await user.type(screen.getByLabelText('Run name'), 'mine');
    const params = screen.getByLabelText('Parameters (JSON)');
    await user.clear(params);
    await user.click(params);
    await user.paste('{"length": 20}');
    await user.click(screen.getByRole('button', { name: 'Launch' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/runs/up-1'));
    const form = calls.find((c) => c.method === 'POST')!.body as FormData;
    expect(form.get('workflow')).toBe('Snakefile');
    expect(form.get('engine')).toBe('snakemake');
    expect(form.get('name')).toBe('mine');
    expect(JSON.parse(String(form.get('params')))).toEqual({ length: 20 });
    expect(form.getAll('files').map((f) => (f as File).name)).toEqual(['Snakefile', 'x.py']);
  });

  it('refuses parameters that are not a JSON object before sending', async () => {
    const calls = serve();
    renderApp('/new');
    const user = await chooseUpload();
    await user.upload(screen.getByLabelText('Workflow files'), [new File(['x'], 'Snakefile')]);
    const params = screen.getByLabelText('Parameters (JSON)');
    await user.clear(params);
    await user.type(params, '[[1, 2]');
    await user.click(screen.getByRole('button', { name: 'Launch' }));
    expect(params).toHaveAccessibleDescription(/give a JSON object/);
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);
  });

  it('refuses a main file that is not among the files', async () => {
    const calls = serve();
    renderApp('/new');
    const user = await chooseUpload();
    await user.upload(screen.getByLabelText('Workflow files'), [new File(['x'], 'workflow.smk')]);
    await user.click(screen.getByRole('button', { name: 'Launch' }));
    expect(screen.getByLabelText('Main file')).toHaveAccessibleDescription(
      /"Snakefile" is not among the chosen files/,
    );
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);
  });
});

describe('the source choice', () => {
  it('leaves "Workflow" naming the workflow select alone, even to a loose match', async () => {
    serve();
    renderApp('/new');
    await screen.findByRole('radiogroup', { name: 'Source' });
    expect(await screen.findAllByLabelText('workflow', { exact: false })).toEqual([
      screen.getByRole('combobox', { name: 'Workflow' }),
    ]);
  });

  it('moves between sources with the arrow keys', async () => {
    serve();
    renderApp('/new');
    const user = userEvent.setup();
    const catalog = await screen.findByRole('radio', { name: 'Catalog workflow' });
    expect(catalog).toBeChecked();
    catalog.focus();
    await user.keyboard('{ArrowRight}');
    expect(screen.getByRole('radio', { name: 'Upload a workflow' })).toHaveFocus();
    expect(screen.getByRole('radio', { name: 'Upload a workflow' })).toBeChecked();
    expect(screen.getByLabelText('Workflow files')).toBeInTheDocument();
  });
});
