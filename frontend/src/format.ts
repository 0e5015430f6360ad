const at = (iso: string) => new Date(iso).getTime();

export function formatTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** `42s`, `3m 05s`, `2h 04m`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** From start to end, or to `now` while it goes on; a dash before it started. */
export function spanDuration(start: string | null, end: string | null, now: number): string {
  if (!start) return '—';
  return formatDuration((end ? at(end) : now) - at(start));
}
