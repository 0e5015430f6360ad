import type { Task } from '../api/models';
import { StateBadge } from '../components/StateBadge';
import { spanDuration } from '../format';
import { wildcardText } from './timelineLayout';

interface Props {
  tasks: readonly Task[];
  now: number;
  onShowLog: (task: Task) => void;
}

export function TasksTable({ tasks, now, onShowLog }: Props) {
  return (
    <div className="scroll">
      <table aria-label="Tasks">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Wildcards</th>
            <th scope="col">State</th>
            <th scope="col">Attempts</th>
            <th scope="col">Duration</th>
            <th scope="col">Exit code</th>
            <th scope="col">Log</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((task) => (
            <tr key={task.id}>
              <td>{task.name}</td>
              <td>{wildcardText(task)}</td>
              <td>
                <StateBadge state={task.state} />
                {task.reason && <span className="reason"> {task.reason}</span>}
              </td>
              <td>{task.attempt}</td>
              <td>{spanDuration(task.started_at, task.ended_at, now)}</td>
              <td>{task.exit_code ?? '—'}</td>
              <td>
                <button type="button" aria-label={`Log of ${task.id}`} onClick={() => onShowLog(task)}>
                  Log
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
