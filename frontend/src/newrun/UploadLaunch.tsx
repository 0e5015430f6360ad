import { useMutation } from '@tanstack/react-query';
import { useState, type ChangeEvent, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { uploadRun, type Upload } from '../api/endpoints';
import type { JsonObject } from '../api/models';
import { ErrorMessage } from '../components/ErrorMessage';

type Chosen = Upload['files'];
type UploadEngine = 'snakemake' | 'nextflow';
const MAIN_FILE: Record<UploadEngine, string> = { snakemake: 'Snakefile', nextflow: 'main.nf' };

/** Each file under its path relative to the folder picked (or its bare name when files were). */
export function relativePaths(files: readonly File[]): Chosen {
  const paths = files.map((file) => file.webkitRelativePath || file.name);
  const top = paths[0]?.split('/')[0];
  const oneFolder = paths.every((path) => path.includes('/') && path.split('/')[0] === top);
  return files.map((file, i) => ({ file, path: oneFolder ? paths[i].slice(top.length + 1) : paths[i] }));
}

function parseParams(text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text || '{}');
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('give a JSON object, e.g. {"samples": ["a"]}');
  }
  return value as JsonObject;
}

interface Problems {
  files?: string;
  main?: string;
  params?: string;
}

function FieldError({ id, text }: { id: string; text?: string }) {
  return text ? (
    <p className="field-error" id={id}>
      {text}
    </p>
  ) : null;
}

export function UploadLaunch() {
  const navigate = useNavigate();
  const [files, setFiles] = useState<Chosen>([]);
  const [engine, setEngine] = useState<UploadEngine>('snakemake');
  const [main, setMain] = useState(MAIN_FILE.snakemake);
  const [runName, setRunName] = useState('');
  const [paramsText, setParamsText] = useState('{}');
  const [problems, setProblems] = useState<Problems>({});
  const launch = useMutation({
    mutationFn: uploadRun,
    onSuccess: (run) => navigate(`/runs/${encodeURIComponent(run.id)}`),
  });

  const pick = (event: ChangeEvent<HTMLInputElement>) =>
    setFiles(relativePaths([...(event.target.files ?? [])]));
  const chooseEngine = (next: UploadEngine) => {
    if (main === MAIN_FILE[engine]) setMain(MAIN_FILE[next]);
    setEngine(next);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Problems = {};
    let params: JsonObject = {};
    try {
      params = parseParams(paramsText);
    } catch (error) {
      found.params = (error as Error).message;
    }
    if (files.length === 0) found.files = "choose the workflow's files (or its folder)";
    else if (!files.some((f) => f.path === main.trim())) {
      found.main = `"${main}" is not among the chosen files (${files.map((f) => f.path).join(', ')})`;
    }
    setProblems(found);
    if (Object.keys(found).length === 0) {
      launch.mutate({ workflow: main.trim(), engine, name: runName.trim(), params, files });
    }
  };

  return (
    <form onSubmit={submit} noValidate className="upload">
      <ErrorMessage error={launch.error} />
      <div className="field">
        <label htmlFor="workflow-files">Workflow files</label>
        <input
          id="workflow-files"
          type="file"
          multiple
          onChange={pick}
          aria-invalid={Boolean(problems.files)}
          aria-describedby="files-error"
        />
        <label htmlFor="workflow-folder">Workflow folder</label>
        <input id="workflow-folder" type="file" webkitdirectory="" onChange={pick} />
        {files.length > 0 && (
          <p className="help">
            {files.length} file{files.length > 1 ? 's' : ''}: {files.map((f) => f.path).join(', ')}
          </p>
        )}
        <FieldError id="files-error" text={problems.files} />
      </div>
      <div className="field">
        <label htmlFor="main-file">Main file</label>
        <input
          id="main-file"
          value={main}
          onChange={(e) => setMain(e.target.value)}
          aria-invalid={Boolean(problems.main)}
          aria-describedby="main-error"
        />
        <FieldError id="main-error" text={problems.main} />
      </div>
      <div className="field">
        <label htmlFor="upload-engine">Engine</label>
        <select
          id="upload-engine"
          value={engine}
          onChange={(e) => chooseEngine(e.target.value as UploadEngine)}
        >
          <option>snakemake</option>
          <option>nextflow</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="run-name">Run name</label>
        <input id="run-name" value={runName} onChange={(e) => setRunName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="params-json">Parameters (JSON)</label>
        <textarea
          id="params-json"
          rows={6}
          value={paramsText}
          onChange={(e) => setParamsText(e.target.value)}
          aria-invalid={Boolean(problems.params)}
          aria-describedby="params-error"
        />
        <FieldError id="params-error" text={problems.params} />
      </div>
      <button type="submit" disabled={launch.isPending}>
        Launch
      </button>
    </form>
  );
}
