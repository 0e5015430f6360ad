import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { createToken, listTokens, revokeToken } from '../api/endpoints';
import type { NewPersonalToken } from '../api/models';
import { ErrorMessage } from '../components/ErrorMessage';
import { formatTime } from '../format';

function NewToken({ token }: { token: NewPersonalToken }) {
  const copy = useMutation({ mutationFn: () => navigator.clipboard.writeText(token.token) });
  return (
    <section className="new-token" aria-labelledby="new-token-heading">
      <h2 id="new-token-heading">Token "{token.name}"</h2>
      <p>Copy it now: it is shown only once.</p>
      <div className="token-row">
        <output aria-label="New token">{token.token}</output>
        <button type="button" onClick={() => copy.mutate()}>
          Copy
        </button>
        {copy.isSuccess && <span role="status">Copied</span>}
      </div>
      <ErrorMessage error={copy.error} />
    </section>
  );
}

export function TokensPage() {
  const queryClient = useQueryClient();
  const tokens = useQuery({ queryKey: ['tokens'], queryFn: listTokens, retry: false });
  const [name, setName] = useState('');
  const [days, setDays] = useState(30);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['tokens'] });
  const create = useMutation({
    mutationFn: () => createToken(name.trim(), days),
    onSuccess: () => {
      setName('');
      return refresh();
    },
  });
  const revoke = useMutation({ mutationFn: revokeToken, onSuccess: refresh });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <>
      <h1>Personal access tokens</h1>
      <form onSubmit={submit} className="inline-form">
        <label>
          Token name
          <input value={name} required maxLength={100} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Expires in days
          <input
            type="number"
            min={1}
            max={365}
            required
            value={days}
            onChange={(e) => setDays(e.target.valueAsNumber)}
          />
        </label>
        <button type="submit" disabled={create.isPending}>
          Create token
        </button>
      </form>
      <ErrorMessage error={create.error ?? revoke.error ?? tokens.error} />
      {create.data && <NewToken token={create.data} />}
      {tokens.data && (
        <table aria-label="Tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>{formatTime(token.created_at ?? null)}</td>
                <td>{formatTime(token.expires_at)}</td>
                <td>
                  <button type="button" onClick={() => revoke.mutate(token.id)} disabled={revoke.isPending}>
                    Revoke {token.name}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {tokens.data?.length === 0 && <p className="empty">No tokens.</p>}
    </>
  );
}
