import type { Task } from '../api/models';
import { layoutTimeline, ROW_HEIGHT, taskLabel, tickLabel, wildcardText } from './timelineLayout';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function task(
  id: string,
  created: number,
  started: number | null,
  ended: number | null,
  state: Task['state'] = 'COMPLETE',
): Task {
  return {
    id,
    run_id: 'r1',
    name: 'align',
    state,
    attempt: 1,
    wildcards: {},
    batch_job_id: `job-${id}`,
    exit_code: null,
    reason: null,
    log_stream: '',
    created_at: at(created),
    started_at: started === null ? null : at(started),
    ended_at: ended === null ? null : at(ended),
  };
}

describe('layoutTimeline', () => {
  it('places queued and running bars on one scale from the first creation to the last end', () => {
    const layout = layoutTimeline([task('a', 0, 10, 40), task('b', 20, 50, 100)], T0 + 999_000, 1000);
    const [a, b] = layout.rows;
    expect(a.queued).toEqual({ x: 0, width: 100 });
    expect(a.running).toEqual({ x: 100, width: 300 });
    expect(b.queued).toEqual({ x: 200, width: 300 });
    expect(b.running).toEqual({ x: 500, width: 500 });
    expect([a.y, b.y]).toEqual([0, ROW_HEIGHT]);
    expect(layout.height).toBe(2 * ROW_HEIGHT);
  });

  it('extends tasks that have not ended to now', () => {
    const now = T0 + 200_000;
    const layout = layoutTimeline(
      [task('a', 0, 50, 100), task('b', 0, 100, null, 'RUNNING'), task('c', 100, null, null, 'QUEUED')],
      now,
      400,
    );
    const [a, b, c] = layout.rows;
    expect(a.running).toEqual({ x: 100, width: 100 });
    expect(b.running).toEqual({ x: 200, width: 200 });
    expect(c.queued).toEqual({ x: 200, width: 200 });
    expect(c.running).toBeNull();
  });

  it('shows a task that ended before it started (canceled while queued) as queued only', () => {
    const [row] = layoutTimeline([task('a', 0, null, 30, 'CANCELED')], T0, 300).rows;
    expect(row.queued).toEqual({ x: 0, width: 300 });
    expect(row.running).toBeNull();
  });

  it('orders rows by creation, whatever order the tasks came in', () => {
    const layout = layoutTimeline([task('late', 30, 31, 32), task('early', 0, 1, 2)], T0, 100);
    expect(layout.rows.map((r) => r.task.id)).toEqual(['early', 'late']);
  });

  it('lays out nothing for no tasks', () => {
    expect(layoutTimeline([], T0, 800)).toEqual({ rows: [], ticks: [], height: 0 });
  });

  it('marks the axis in round steps that fit the width', () => {
    const ticks = layoutTimeline([task('a', 0, 0, 600)], T0, 400).ticks;
    expect(ticks.map((t) => t.label)).toEqual(['0s', '2m', '4m', '6m', '8m', '10m']);
    expect(ticks[1].x).toBeCloseTo(80);
    const short = layoutTimeline([task('a', 0, 0, 20)], T0, 400).ticks;
    expect(short.map((t) => t.label)).toEqual(['0s', '5s', '10s', '15s', '20s']);
  });

  it('writes wildcards as key=value, and nothing without any', () => {
    expect(wildcardText({ ...task('a', 0, 0, 1), wildcards: { sample: 'alpha', lane: '2' } })).toBe(
      'sample=alpha, lane=2',
    );
    expect(wildcardText(task('a', 0, 0, 1))).toBe('');
  });

  it('labels rows with the rule and its wildcards', () => {
    expect(taskLabel({ ...task('a', 0, 0, 1), wildcards: { sample: 'alpha', lane: '2' } })).toBe(
      'align (sample=alpha, lane=2)',
    );
    expect(tickLabel(90)).toBe('1m30s');
    expect(tickLabel(7200)).toBe('2h');
  });
});
