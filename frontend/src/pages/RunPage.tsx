import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { getRun, listAllTasks } from '../api/endpoints';
import type { Run } from '../api/models';
import { ErrorMessage } from '../components/ErrorMessage';
import { StateBadge } from '../components/StateBadge';
import { useShownDataTime } from '../components/useShownDataTime';
import { formatTime, spanDuration } from '../format';
import { Results } from '../run/Results';
import { RunActions } from '../run/RunActions';
import { RunLog } from '../run/RunLog';
import { TaskLog } from '../run/TaskLog';
import { TasksTable } from '../run/TasksTable';
import { Timeline } from '../run/Timeline';
import { isFinal } from '../states';

const runLink = (id: string) => <Link to={`/runs/${encodeURIComponent(id)}`}>{id}</Link>;

function RunDetails({ run, now }: { run: Run; now: number }) {
  const tags = Object.entries(run.tags);
  return (
    <dl className="details">
      <dt>Owner</dt>
      <dd>{run.owner ?? '—'}</dd>
      <dt>Workflow</dt>
      <dd>
        {run.workflow}
        {run.uploaded && ' (uploaded)'}
      </dd>
      <dt>Engine</dt>
      <dd>{run.engine}</dd>
      <dt>Created</dt>
      <dd>{formatTime(run.created_at)}</dd>
      <dt>Started</dt>
      <dd>{formatTime(run.started_at)}</dd>
      <dt>Ended</dt>
      <dd>{formatTime(run.ended_at)}</dd>
      <dt>Duration</dt>
      <dd>{spanDuration(run.started_at, run.ended_at, now)}</dd>
      {run.reason && (
        <>
          <dt>Reason</dt>
          <dd>{run.reason}</dd>
        </>
      )}
      {run.resumed_from && (
        <>
          <dt>Resumed from</dt>
          <dd>{runLink(run.resumed_from)}</dd>
        </>
      )}
      {run.reuses_work_of && (
        <>
          <dt>Reuses work of</dt>
          <dd>{runLink(run.reuses_work_of)}</dd>
        </>
      )}
      <dt>Tags</dt>
      <dd>{tags.length ? tags.map(([key, value]) => `${key}:${value}`).join(', ') : '—'}</dd>
      <dt>Parameters</dt>
      <dd>
        <pre className="json">{JSON.stringify(run.params, null, 2)}</pre>
      </dd>
    </dl>
  );
}

function RunView({ run }: { run: Run }) {
  const final = isFinal(run.state);
  // Keyed by finality so that the last states are fetched once more when the run ends.
  const tasks = useQuery({
    queryKey: ['tasks', run.id, final],
    queryFn: () => listAllTasks(run.id),
    refetchInterval: final ? false : 2000,
    placeholderData: keepPreviousData,
  });
  const [logTaskId, setLogTaskId] = useState<string | null>(null);
  const now = useShownDataTime(tasks.dataUpdatedAt);
  const taskList = tasks.data ?? [];
  const logTask = taskList.find((task) => task.id === logTaskId);
  return (
    <>
      <div className="run-head">
        <h1>{run.name || run.id}</h1>
        <StateBadge state={run.state} role="status" aria-label="Run state" />
        <RunActions run={run} />
      </div>
      <RunDetails run={run} now={now} />

      <h2>Tasks</h2>
      <ErrorMessage error={tasks.error} />
      {tasks.isSuccess && taskList.length === 0 && <p className="empty">No tasks yet.</p>}
      {taskList.length > 0 && (
        <>
          <TasksTable tasks={taskList} now={now} onShowLog={(task) => setLogTaskId(task.id)} />
          {logTask && <TaskLog runId={run.id} task={logTask} onClose={() => setLogTaskId(null)} />}
          <h2>Timeline</h2>
          <Timeline tasks={taskList} now={now} />
        </>
      )}

      <h2>Run log</h2>
      <RunLog runId={run.id} />

      <h2>Results</h2>
      <Results run={run} />
    </>
  );
}

export function RunPage() {
  const { id = '' } = useParams();
  const run = useQuery({
    queryKey: ['run', id],
    queryFn: () => getRun(id),
    refetchInterval: (query) => (query.state.data && !isFinal(query.state.data.state) ? 2000 : false),
  });
  if (run.isError) return <ErrorMessage error={run.error} />;
  if (!run.data) return <p className="loading">Loading…</p>;
  return <RunView key={run.data.id} run={run.data} />;
}
