import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { createDownloadLink, getOutputs } from '../api/endpoints';
import type { FileOutputs, Run } from '../api/models';
import { ErrorMessage } from '../components/ErrorMessage';

function isFileOutputs(outputs: unknown): outputs is FileOutputs {
  const candidate = outputs as Partial<FileOutputs> | null;
  return typeof candidate?.prefix === 'string' && Array.isArray(candidate.files);
}

const relative = (uri: string, prefix: string) => (uri.startsWith(prefix) ? uri.slice(prefix.length) : uri);

export function Results({ run }: { run: Run }) {
  const outputs = useQuery({
    queryKey: ['outputs', run.id, run.state],
    queryFn: () => getOutputs(run.id),
    placeholderData: keepPreviousData,
  });
  // The link answers with Content-Disposition: attachment, so the page stays.
  const download = useMutation({
    mutationFn: (path: string) => createDownloadLink(run.id, path),
    onSuccess: (link) => window.location.assign(link.url),
  });

  const data = outputs.data;
  let content;
  if (isFileOutputs(data)) {
    content = data.files.length ? (
      <ul aria-label="Results" className="results">
        {data.files.map((uri) => {
          const path = relative(uri, data.prefix);
          return (
            <li key={uri}>
              <button type="button" className="link" onClick={() => download.mutate(path)}>
                {path}
              </button>
            </li>
          );
        })}
      </ul>
    ) : (
      <p className="empty">No result files yet.</p>
    );
  } else if (data && typeof data === 'object' && Object.keys(data).length) {
    content = <pre className="json">{JSON.stringify(data, null, 2)}</pre>;
  } else if (outputs.isSuccess) {
    content = <p className="empty">No results yet.</p>;
  }
  return (
    <>
      <ErrorMessage error={outputs.error ?? download.error} />
      {content}
    </>
  );
}
