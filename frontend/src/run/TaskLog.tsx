import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { readTaskLog } from '../api/endpoints';
import type { Task } from '../api/models';
import { ErrorMessage } from '../components/ErrorMessage';
import { isFinal } from '../states';
import { taskLabel } from './timelineLayout';

interface Props {
  runId: string;
  task: Task;
  onClose: () => void;
}

export function TaskLog({ runId, task, onClose }: Props) {
  const log = useQuery({
    queryKey: ['task-log', runId, task.id],
    queryFn: () => readTaskLog(runId, task.id),
    refetchInterval: isFinal(task.state) ? false : 2000,
  });
  const region = useRef<HTMLElement>(null);
  useEffect(() => region.current?.focus(), [task.id]);
  return (
    <section aria-label="Task log" className="task-log" tabIndex={-1} ref={region}>
      <div className="section-head">
        <h3>
          {taskLabel(task)} <span className="muted">{task.id}</span>
        </h3>
        <button type="button" onClick={onClose}>
          Close task log
        </button>
      </div>
      <ErrorMessage error={log.error} />
      <pre className="log">{log.isPending ? 'Loading…' : log.data || '(empty)'}</pre>
    </section>
  );
}
