import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useLayoutEffect, useRef } from 'react';
import { LOG_PAGE_SIZE, readRunLog } from '../api/endpoints';
import type { LogPage } from '../api/models';
import { ErrorMessage } from '../components/ErrorMessage';

/** The run's log, asked for from where it stopped every 2 s until the service says it is complete. */
export function RunLog({ runId }: { runId: string }) {
  const queryClient = useQueryClient();
  const queryKey = ['run-log', runId];
  const log = useQuery({
    queryKey,
    queryFn: async (): Promise<LogPage> => {
      const known = queryClient.getQueryData<LogPage>(queryKey);
      let lines = known?.lines ?? [];
      let offset = known?.next_offset ?? 0;
      let page: LogPage;
      do {
        page = await readRunLog(runId, offset);
        lines = [...lines, ...page.lines];
        offset = page.next_offset;
      } while (page.lines.length === LOG_PAGE_SIZE && !page.complete);
      return { lines, next_offset: offset, complete: page.complete };
    },
    refetchInterval: (query) => (query.state.data?.complete ? false : 2000),
  });

  // Keep following the end unless the reader has scrolled up.
  const pre = useRef<HTMLPreElement>(null);
  const atEnd = useRef(true);
  const lineCount = log.data?.lines.length ?? 0;
  useLayoutEffect(() => {
    if (pre.current && atEnd.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [lineCount]);
  const onScroll = () => {
    const el = pre.current;
    if (el) atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
  };

  return (
    <>
      <ErrorMessage error={log.error} />
      <pre aria-label="Run log" className="log" ref={pre} onScroll={onScroll} tabIndex={0}>
        {log.data ? log.data.lines.join('\n') : 'Loading…'}
      </pre>
    </>
  );
}
