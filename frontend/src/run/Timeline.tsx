import type { Task } from '../api/models';
import { spanDuration } from '../format';
import { stateTone } from '../states';
import { layoutTimeline, ROW_HEIGHT, type Bar } from './timelineLayout';

const LABEL_WIDTH = 260;
const CHART_WIDTH = 840;
const AXIS_HEIGHT = 22;
const BAR_HEIGHT = ROW_HEIGHT - 6;
const MAX_LABEL = 38;

const queuedFor = (task: Task, now: number) =>
  spanDuration(task.created_at, task.started_at ?? task.ended_at, now);
const ranFor = (task: Task, now: number) => spanDuration(task.started_at, task.ended_at, now);
const clip = (text: string) => (text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text);

export function Timeline({ tasks, now }: { tasks: readonly Task[]; now: number }) {
  const layout = layoutTimeline(tasks, now, CHART_WIDTH);
  const height = AXIS_HEIGHT + layout.height;
  const rect = (bar: Bar, y: number, kind: string, task: Task, title: string) => (
    <rect
      className={`bar bar-${kind} tone-${stateTone(task.state)}`}
      data-state={task.state}
      x={LABEL_WIDTH + bar.x}
      y={y + (ROW_HEIGHT - BAR_HEIGHT) / 2}
      width={Math.max(bar.width, 1)}
      height={BAR_HEIGHT}
    >
      <title>{title}</title>
    </rect>
  );
  return (
    <div className="timeline">
      <svg role="img" aria-label="Timeline" viewBox={`0 0 ${LABEL_WIDTH + CHART_WIDTH + 20} ${height}`}>
        <g className="axis">
          {layout.ticks.map((tick) => (
            <g key={tick.x}>
              <line x1={LABEL_WIDTH + tick.x} x2={LABEL_WIDTH + tick.x} y1={AXIS_HEIGHT - 4} y2={height} />
              <text x={LABEL_WIDTH + tick.x} y={AXIS_HEIGHT - 8}>
                {tick.label}
              </text>
            </g>
          ))}
        </g>
        {layout.rows.map(({ task, label, y, queued, running }) => {
          const top = AXIS_HEIGHT + y;
          return (
            <g key={task.id}>
              <text className="row-label" x={4} y={top + ROW_HEIGHT - 5}>
                <title>{label}</title>
                {clip(label)}
              </text>
              {rect(queued, top, 'queued', task, `${label}: queued ${queuedFor(task, now)}`)}
              {running &&
                rect(running, top, 'running', task, `${label}: ${task.state}, ran ${ranFor(task, now)}`)}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
