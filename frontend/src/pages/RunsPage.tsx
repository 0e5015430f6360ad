import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { listRuns, type RunFilters } from '../api/endpoints';
import { RUN_STATES, type RunState } from '../api/models';
import { useCurrentUser } from '../auth/currentUser';
import { seesEveryRun } from '../auth/permissions';
import { ErrorMessage } from '../components/ErrorMessage';
import { StateBadge } from '../components/StateBadge';
import { useDebounced } from '../components/useDebounced';
import { useShownDataTime } from '../components/useShownDataTime';
import { formatTime, spanDuration } from '../format';
import { isFinal } from '../states';

export function RunsPage() {
  const { role } = useCurrentUser();
  const everyone = seesEveryRun(role);
  const [state, setState] = useState<RunState | ''>('');
  const [tag, setTag] = useState('');
  const [owner, setOwner] = useState('');
  const typedTag = useDebounced(tag.trim(), 400);
  const typedOwner = useDebounced(owner.trim(), 400);
  const filters: RunFilters = {
    state: state || undefined,
    tag: typedTag || undefined,
    owner: everyone && typedOwner ? typedOwner : undefined,
  };
  // The page tokens seen so far, for "Previous page"; a change of filters starts again.
  const filterKey = JSON.stringify(filters);
  const [paging, setPaging] = useState({ filterKey, tokens: [''] });
  const tokens = paging.filterKey === filterKey ? paging.tokens : [''];
  const pageToken = tokens[tokens.length - 1];

  const runs = useQuery({
    queryKey: ['runs', filters, pageToken],
    queryFn: () => listRuns(filters, pageToken),
    placeholderData: keepPreviousData,
    // The first page shows new runs as they come; a later page changes only while its runs do.
    refetchInterval: (query) =>
      !pageToken || query.state.data?.runs.some((run) => !isFinal(run.state)) ? 2000 : false,
  });
  const now = useShownDataTime(runs.dataUpdatedAt);
  const nextToken = runs.data?.next_page_token ?? '';

  return (
    <>
      <h1>Runs</h1>
      <div className="filters">
        <label>
          State filter
          <select value={state} onChange={(e) => setState(e.target.value as RunState | '')}>
            <option value="">All</option>
            {RUN_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tag filter
          <input value={tag} placeholder="key:value" onChange={(e) => setTag(e.target.value)} />
        </label>
        {everyone && (
          <label>
            Owner filter
            <input value={owner} onChange={(e) => setOwner(e.target.value)} />
          </label>
        )}
      </div>
      <ErrorMessage error={runs.error} />
      <table aria-label="Runs">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Workflow</th>
            <th scope="col">Engine</th>
            {everyone && <th scope="col">Owner</th>}
            <th scope="col">State</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.data?.runs.map((run) => (
            <tr key={run.id}>
              <td>
                <Link to={`/runs/${encodeURIComponent(run.id)}`}>{run.name || run.id}</Link>
              </td>
              <td>{run.workflow}</td>
              <td>{run.engine}</td>
              {everyone && <td>{run.owner ?? '—'}</td>}
              <td>
                <StateBadge state={run.state} />
              </td>
              <td>{formatTime(run.started_at)}</td>
              <td>{spanDuration(run.started_at, run.ended_at, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.data?.runs.length === 0 && <p className="empty">No runs.</p>}
      <div className="pager">
        <button
          type="button"
          disabled={tokens.length < 2}
          onClick={() => setPaging({ filterKey, tokens: tokens.slice(0, -1) })}
        >
          Previous page
        </button>
        <button
          type="button"
          disabled={!nextToken || runs.isPlaceholderData}
          onClick={() => setPaging({ filterKey, tokens: [...tokens, nextToken] })}
        >
          Next page
        </button>
      </div>
    </>
  );
}
