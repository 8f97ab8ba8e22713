import type { ReactElement } from 'react';
import { Link } from '../router';

/** Any other path. */
export function NotFoundPage(): ReactElement {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is no page here. <Link to="/">Back to the home page</Link>.
      </p>
    </>
  );
}
