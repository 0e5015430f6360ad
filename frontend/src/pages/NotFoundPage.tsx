import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <main>
      <h1>Not found</h1>
      <p>
        This page does not exist. <Link to="/">Back to the runs</Link>
      </p>
    </main>
  );
}
