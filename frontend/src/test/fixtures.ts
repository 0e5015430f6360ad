import type { AuthConfig, Me, Run, Workflow } from '../api/models';

export const BUILTIN = { mode: 'builtin', oidc: null };

export const OIDC: AuthConfig = {
  mode: 'oidc',
  oidc: {
    issuer: 'https://id.example',
    client_id: 'bf',
    scope: 'openid',
    token: 'access',
    resource: null,
    name: 'Example ID',
  },
};

export const me = (role: Me['role'], name = 'ada'): Me => ({ name, role, via: 'password' });

/** workflows/quickstart/config.schema.yaml, as the service serves it. */
export const QUICKSTART: Workflow = {
  name: 'quickstart',
  description: 'Simulate a few sequences and count their bases',
  engines: ['snakemake'],
  tools: ['python'],
  params_schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    additionalProperties: false,
    properties: {
      samples: {
        description: 'sample names; one simulated sequence each',
        type: 'array',
        items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}(?![\\s\\S])' },
        minItems: 1,
        maxItems: 100,
        uniqueItems: true,
        default: ['alpha', 'beta', 'gamma'],
      },
      length: {
        description: 'bases per sequence',
        type: 'integer',
        minimum: 10,
        maximum: 1000000,
        default: 2000,
      },
    },
  },
};

export const DEMO: Workflow = {
  name: 'demo',
  description: 'A mock run for trying the service',
  engines: ['mock', 'snakemake'],
  tools: [],
  params_schema: {
    type: 'object',
    properties: {
      steps: { type: 'integer', minimum: 1, maximum: 50, default: 3 },
      delay_seconds: { type: 'number', minimum: 0, maximum: 60, default: 0.5 },
    },
  },
};

export function run(overrides: Partial<Run> = {}): Run {
  return {
    id: 'run-1',
    name: null,
    workflow: 'quickstart',
    engine: 'snakemake',
    params: {},
    tags: {},
    owner: 'ada',
    state: 'COMPLETE',
    reason: null,
    created_at: '2025-01-01T00:00:00Z',
    started_at: '2025-01-01T00:00:05Z',
    ended_at: '2025-01-01T00:01:05Z',
    outputs: {},
    head_job_id: 'head-1',
    uploaded: false,
    resumed_from: null,
    reuses_work_of: null,
    ...overrides,
  };
}
