import type { ReactElement } from 'react';
import { AdminPage } from './pages/admin';
import { HomePage } from './pages/home';
import { NotFoundPage } from './pages/not-found';
import { PasskeysPage } from './pages/passkeys';
import { PaymentsPage } from './pages/payments';
import { ProfilePage } from './pages/profile';
import { TransferPage } from './pages/transfer';

/** A page of the app. */
export interface Route {
  path: string;
  /** Its name in the navigation and the document title. */
  title: string;
  Page: () => ReactElement;
}

/** Every page, in navigation order. The server renders the same paths. */
export const ROUTES: readonly Route[] = [
  { path: '/', title: 'Home', Page: HomePage },
  { path: '/profile', title: 'Profile', Page: ProfilePage },
  { path: '/admin', title: 'Admin', Page: AdminPage },
  { path: '/payments', title: 'Payments', Page: PaymentsPage },
  { path: '/transfer', title: 'Transfer', Page: TransferPage },
  { path: '/passkeys', title: 'Passkeys', Page: PasskeysPage },
];

/** What any other path shows. */
const NOT_FOUND: Route = { path: '', title: 'Not found', Page: NotFoundPage };

/** The route of `path` (`/profile/` is `/profile`), or {@link NOT_FOUND}. */
export function routeFor(path: string): Route {
  const normalized = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return ROUTES.find((route) => route.path === normalized) ?? NOT_FOUND;
}

/** The document title of a route. */
export function documentTitle(route: Route): string {
  return route.path === '/' ? 'latchkey demo' : `${route.title} · latchkey demo`;
}
