import type { RunState } from './api/models';

// As the service has them (states.py FINAL_STATES, resume.py RESUMABLE_STATES): PREEMPTED is
// neither final nor resumable there.
const FINAL: ReadonlySet<RunState> = new Set(['COMPLETE', 'EXECUTOR_ERROR', 'SYSTEM_ERROR', 'CANCELED']);

/** Ended without completing: a resume can run again what failed or is missing. */
const RESUMABLE: ReadonlySet<RunState> = new Set(['EXECUTOR_ERROR', 'SYSTEM_ERROR', 'CANCELED']);

export function isFinal(state: RunState): boolean {
  return FINAL.has(state);
}

export function isResumable(state: RunState): boolean {
  return RESUMABLE.has(state);
}

export type Tone = 'waiting' | 'active' | 'done' | 'failed' | 'stopped' | 'unknown';

/** The colour family a state is drawn in (always beside its name, never instead of it). */
export function stateTone(state: RunState): Tone {
  switch (state) {
    case 'QUEUED':
    case 'INITIALIZING':
    case 'PAUSED':
      return 'waiting';
    case 'RUNNING':
    case 'CANCELING':
      return 'active';
    case 'COMPLETE':
      return 'done';
    case 'EXECUTOR_ERROR':
    case 'SYSTEM_ERROR':
      return 'failed';
    case 'CANCELED':
    case 'PREEMPTED':
      return 'stopped';
    case 'UNKNOWN':
      return 'unknown';
  }
}
