import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { cancelRun, resumeRun } from '../api/endpoints';
import type { Run } from '../api/models';
import { useCurrentUser } from '../auth/currentUser';
import { canLaunch } from '../auth/permissions';
import { ErrorMessage } from '../components/ErrorMessage';
import { isFinal, isResumable } from '../states';

export function RunActions({ run }: { run: Run }) {
  const { role } = useCurrentUser();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const cancel = useMutation({
    mutationFn: () => cancelRun(run.id),
    onSuccess: (updated) => queryClient.setQueryData(['run', run.id], updated),
  });
  const resume = useMutation({
    mutationFn: () => resumeRun(run.id),
    onSuccess: (resumed) => navigate(`/runs/${encodeURIComponent(resumed.id)}`),
  });
  if (!canLaunch(role)) return null;
  return (
    <div className="actions">
      {!isFinal(run.state) && (
        <button
          type="button"
          onClick={() => cancel.mutate()}
          disabled={cancel.isPending || run.state === 'CANCELING'}
        >
          Cancel run
        </button>
      )}
      {isResumable(run.state) && (
        <button type="button" onClick={() => resume.mutate()} disabled={resume.isPending}>
          Resume
        </button>
      )}
      <ErrorMessage error={cancel.error ?? resume.error} />
    </div>
  );
}
