// The Form itself, not @rjsf/core's index: that also exports a test helper which imports
// @rjsf/validator-ajv8 (rjsf issue #5295), the eval-based validator this app must not ship.
import Form from '@rjsf/core/lib/components/Form.js';
import type { RJSFSchema } from '@rjsf/utils';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { listWorkflows, submitRun } from '../api/endpoints';
import type { Engine, JsonObject } from '../api/models';
import { ErrorMessage } from '../components/ErrorMessage';
import { launchError, type LaunchError } from './launchError';
import { cspSafeValidator } from './validator';

const NO_PARAMS: RJSFSchema = { type: 'object', properties: {} };

export function CatalogLaunch() {
  const navigate = useNavigate();
  const workflows = useQuery({ queryKey: ['workflows'], queryFn: listWorkflows, staleTime: 60_000 });
  const [chosen, setChosen] = useState('');
  const [engineChoice, setEngineChoice] = useState<Engine | ''>('');
  const [runName, setRunName] = useState('');
  const [refused, setRefused] = useState<LaunchError>({});
  const launch = useMutation({
    mutationFn: submitRun,
    onMutate: () => setRefused({}),
    onSuccess: (run) => navigate(`/runs/${encodeURIComponent(run.id)}`),
    onError: (error) => setRefused(launchError(error)),
  });

  if (workflows.isError) return <ErrorMessage error={workflows.error} />;
  if (!workflows.data) return <p className="loading">Loading…</p>;
  const workflow = workflows.data.find((w) => w.name === chosen) ?? workflows.data[0];
  if (!workflow) return <p className="empty">The catalog has no workflows.</p>;
  const engine = engineChoice && workflow.engines.includes(engineChoice) ? engineChoice : workflow.engines[0];

  return (
    <>
      {refused.message && (
        <p role="alert" className="error">
          {refused.message}
        </p>
      )}
      <div className="field">
        <label htmlFor="workflow">Workflow</label>
        <select
          id="workflow"
          value={workflow.name}
          aria-describedby="workflow-description"
          onChange={(e) => {
            setChosen(e.target.value);
            setRefused({});
          }}
        >
          {workflows.data.map((w) => (
            <option key={w.name} value={w.name}>
              {w.name}
            </option>
          ))}
        </select>
        <p className="help" id="workflow-description">
          {workflow.description}
        </p>
      </div>
      {workflow.engines.length > 1 && (
        <div className="field">
          <label htmlFor="engine">Engine</label>
          <select id="engine" value={engine} onChange={(e) => setEngineChoice(e.target.value as Engine)}>
            {workflow.engines.map((e) => (
              <option key={e}>{e}</option>
            ))}
          </select>
        </div>
      )}
      <div className="field">
        <label htmlFor="run-name">Run name</label>
        <input id="run-name" value={runName} onChange={(e) => setRunName(e.target.value)} />
      </div>
      <Form
        key={workflow.name}
        className="params"
        schema={(workflow.params_schema ?? NO_PARAMS) as RJSFSchema}
        validator={cspSafeValidator}
        extraErrors={refused.fields}
        showErrorList={false}
        noHtml5Validate
        focusOnFirstError
        onChange={() => refused.fields && setRefused({})}
        onError={() => setRefused({})}
        onSubmit={({ formData }) =>
          launch.mutate({
            workflow: workflow.name,
            engine,
            name: runName.trim() || undefined,
            params: (formData ?? {}) as JsonObject,
            tags: {},
          })
        }
      >
        <button type="submit" disabled={launch.isPending}>
          Launch
        </button>
      </Form>
    </>
  );
}
