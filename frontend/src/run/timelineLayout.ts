import type { Task } from '../api/models';

export const ROW_HEIGHT = 18;

export interface Bar {
  x: number;
  width: number;
}

export interface TimelineRow {
  task: Task;
  label: string;
  y: number;
  /** created_at until it started (or ended, or `now`). */
  queued: Bar;
  /** started_at until it ended (or `now`); null when it never started. */
  running: Bar | null;
}

export interface Tick {
  x: number;
  label: string;
}

export interface TimelineLayout {
  rows: TimelineRow[];
  ticks: Tick[];
  height: number;
}

const TICK_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400];
const MIN_TICK_GAP_PX = 80;

/** `sample=alpha, lane=1`; empty when the task has no wildcards. */
export function wildcardText(task: Task): string {
  return Object.entries(task.wildcards)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}

export function taskLabel(task: Task): string {
  const wildcards = wildcardText(task);
  return wildcards ? `${task.name} (${wildcards})` : task.name;
}

export function tickLabel(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600)
    return seconds % 60 ? `${Math.floor(seconds / 60)}m${seconds % 60}s` : `${seconds / 60}m`;
  const minutes = Math.floor(seconds / 60) % 60;
  return minutes ? `${Math.floor(seconds / 3600)}h${minutes}m` : `${seconds / 3600}h`;
}

function ticksFor(span: number, width: number): Tick[] {
  const spanS = span / 1000;
  const wanted = Math.max(1, Math.floor(width / MIN_TICK_GAP_PX));
  const step = TICK_STEPS_S.find((s) => spanS / s <= wanted) ?? Math.ceil(spanS / wanted / 86400) * 86400;
  const ticks: Tick[] = [];
  for (let s = 0; s <= spanS; s += step) ticks.push({ x: (s * 1000 * width) / span, label: tickLabel(s) });
  return ticks;
}

/**
 * A Gantt chart of tasks in `width` pixels: one row per task in order of creation, time 0 at the
 * first task's creation, the right edge at the last end (tasks not ended yet end at `now`).
 */
export function layoutTimeline(tasks: readonly Task[], now: number, width: number): TimelineLayout {
  if (tasks.length === 0) return { rows: [], ticks: [], height: 0 };
  const ms = (iso: string) => new Date(iso).getTime();
  const sorted = [...tasks].sort((a, b) => ms(a.created_at) - ms(b.created_at) || a.id.localeCompare(b.id));
  const origin = ms(sorted[0].created_at);
  const end = Math.max(...sorted.map((t) => (t.ended_at ? ms(t.ended_at) : now)));
  const span = Math.max(end - origin, 1000);
  const x = (time: number) => ((time - origin) * width) / span;
  const bar = (from: number, to: number): Bar => ({ x: x(from), width: Math.max(0, x(to) - x(from)) });
  const rows = sorted.map((task, index) => {
    const created = ms(task.created_at);
    const ended = task.ended_at ? ms(task.ended_at) : now;
    const started = task.started_at ? ms(task.started_at) : null;
    return {
      task,
      label: taskLabel(task),
      y: index * ROW_HEIGHT,
      queued: bar(created, started ?? ended),
      running: started === null ? null : bar(started, ended),
    };
  });
  return { rows, ticks: ticksFor(span, width), height: rows.length * ROW_HEIGHT };
}
