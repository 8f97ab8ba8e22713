import {
  type AnchorHTMLAttributes,
  createContext,
  type MouseEvent,
  type ReactElement,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from 'react';

interface RouterValue {
  /** The current path, without query or hash. */
  path: string;
  /** Shows `to` (a same-origin path) without a page load and adds it to the history. */
  navigate(to: string): void;
}

const RouterContext = createContext<RouterValue | null>(null);

/** The current route and navigation; throws outside {@link Router}. */
export function useRouter(): RouterValue {
  const value = useContext(RouterContext);
  if (!value) throw new Error('useRouter needs a <Router> above it.');
  return value;
}

/** Props of {@link Router}. */
export interface RouterProps {
  /** The path to render first: the request's path on the server, `location.pathname` in the browser. */
  initialPath: string;
  children?: ReactNode;
}

/**
 * A small history-API router: the app has five flat routes, and the server renders each of them
 * too, so every URL also works as a full page load.
 */
export function Router({ initialPath, children }: RouterProps): ReactElement {
  const [path, setPath] = useState(initialPath);
  useEffect(() => {
    const onPopState = () => setPath(location.pathname);
    addEventListener('popstate', onPopState);
    return () => removeEventListener('popstate', onPopState);
  }, []);
  const navigate = useCallback((to: string) => {
    const url = new URL(to, location.href);
    if (url.origin !== location.origin) {
      location.assign(url.href);
      return;
    }
    history.pushState(null, '', `${url.pathname}${url.search}${url.hash}`);
    setPath(url.pathname);
    scrollTo(0, 0);
  }, []);
  const value = useMemo(() => ({ path, navigate }), [path, navigate]);
  return <RouterContext.Provider value={value}>{children}</RouterContext.Provider>;
}

/**
 * True for a click that the page may handle itself: the main button with no modifier key (those
 * open a new tab or window) and not already handled.
 */
export function isPlainClick(event: MouseEvent<HTMLElement>): boolean {
  return (
    !event.defaultPrevented &&
    event.button === 0 &&
    !event.metaKey &&
    !event.ctrlKey &&
    !event.shiftKey &&
    !event.altKey
  );
}

/** Props of {@link Link}: an anchor's, with `to` instead of `href`. */
export interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  /** A path of this app, e.g. `/profile`. */
  to: string;
}

/**
 * A link to a route of this app: a plain click changes the route in place; modified clicks (new
 * tab, new window) and clicks before hydration are ordinary links. The current page's link
 * carries `aria-current="page"`.
 */
export function Link({ to, onClick, children, ...rest }: LinkProps): ReactElement {
  const { path, navigate } = useRouter();
  const handleClick = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (!isPlainClick(event)) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a {...rest} href={to} aria-current={path === to ? 'page' : undefined} onClick={handleClick}>
      {children}
    </a>
  );
}
