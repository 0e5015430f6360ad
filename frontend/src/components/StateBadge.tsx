import type { HTMLAttributes } from 'react';
import type { RunState } from '../api/models';
import { stateTone } from '../states';

type Props = { state: RunState } & HTMLAttributes<HTMLSpanElement>;

export function StateBadge({ state, ...attributes }: Props) {
  return (
    <span {...attributes} className={`state state-${stateTone(state)}`}>
      {state}
    </span>
  );
}
