import { render, screen } from '@testing-library/react';
import { RUN_STATES } from './api/models';
import { StateBadge } from './components/StateBadge';
import { isFinal, isResumable, stateTone } from './states';

describe('run states', () => {
  it.each(RUN_STATES)('shows %s as its name, with a colour class beside it', (state) => {
    render(<StateBadge state={state} role="status" aria-label="Run state" />);
    const badge = screen.getByRole('status', { name: 'Run state' });
    expect(badge).toHaveTextContent(new RegExp(`^${state}$`));
    expect(badge).toHaveClass(`state-${stateTone(state)}`);
  });

  it("counts as final only the service's four ended states, not PREEMPTED", () => {
    expect(RUN_STATES.filter(isFinal)).toEqual(['COMPLETE', 'EXECUTOR_ERROR', 'SYSTEM_ERROR', 'CANCELED']);
  });

  it('offers a resume only for ended runs that did not complete, not a preempted one', () => {
    expect(RUN_STATES.filter(isResumable)).toEqual(['EXECUTOR_ERROR', 'SYSTEM_ERROR', 'CANCELED']);
  });

  it('draws failures and successes in different colours', () => {
    expect(stateTone('COMPLETE')).not.toBe(stateTone('EXECUTOR_ERROR'));
    expect(stateTone('SYSTEM_ERROR')).toBe(stateTone('EXECUTOR_ERROR'));
  });
});
