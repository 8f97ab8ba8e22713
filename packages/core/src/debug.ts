import { isLatchkeyError } from './errors';
import type { LatchkeyEvent } from './events';

/** Where debug lines go once redacted (see {@link debugLog}). */
export type DebugLog = (line: string) => void;

/** Event fields a debug line may show: codes, levels and names, never who or which session. */
const SHOWN_EVENT_FIELDS = ['code', 'method', 'acr', 'maxAge', 'role', 'permission'] as const;

/**
 * What nothing latchkey logs may show, whatever a line was built from: compact JWTs (JWS and JWE,
 * which covers sealed cookies), email addresses, and opaque values as long as a code, a token or a
 * session id (32 base64url characters or more).
 */
const CREDENTIAL_SHAPES = [
  /eyJ[\w-]*(?:\.[\w-]*){2,4}/g,
  /[^\s@"'<>(),;]+@[^\s@"'<>(),;]+\.[A-Za-z]{2,}/g,
  /[\w-]{32,}/g,
];

/** Longest line written: what is longer is cut (an attacker's callback parameters, say). */
const MAX_LINE = 2000;

/**
 * A debug log that writes to `sink`, each line with `secrets` (the client secret and session
 * secrets) and anything shaped like a credential or an email address replaced by `[redacted]`,
 * control characters by spaces, and cut at 2,000 characters; a sink that throws is ignored.
 * Lines are built from names, URLs without their query, statuses and codes; this is the second
 * line of defence.
 */
export function debugLog(sink: (line: string) => void, secrets: readonly string[]): DebugLog {
  const known = secrets.filter((secret) => secret.length >= 4);
  return (line) => {
    // One line, of bounded length, whatever an IdP or a request put in it.
    let redacted = line.slice(0, MAX_LINE).replace(/\p{Cc}/gu, ' ');
    for (const secret of known) redacted = redacted.replaceAll(secret, '[redacted]');
    for (const shape of CREDENTIAL_SHAPES) redacted = redacted.replace(shape, '[redacted]');
    try {
      sink(redacted);
    } catch {
      // A debug sink that throws must not break a sign-in, a refresh or the audit log.
    }
  };
}

/** An event as a debug line: its type and codes, never the user's `sub` or a session id. */
export function eventLine(event: LatchkeyEvent): string {
  const fields = event as Partial<Record<(typeof SHOWN_EVENT_FIELDS)[number], unknown>>;
  const shown = SHOWN_EVENT_FIELDS.filter((name) => fields[name] !== undefined).map(
    (name) => `${name}=${String(fields[name])}`,
  );
  return `event: ${event.type}${shown.length ? ` (${shown.join(', ')})` : ''}`;
}

const elapsed = (started: number) => Math.round(performance.now() - started);

/** Why a call failed, for a debug line: a latchkey error's code, else the error's name. */
function failureOf(error: unknown): string {
  if (isLatchkeyError(error)) return error.code;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === 'string' ? cause : error instanceof Error ? error.name : 'error';
}

/**
 * Runs `operation` and, with a debug log, writes how it ended and how long it took as
 * `<what> <outcome> in <n> ms`; without one, just runs it.
 */
export async function timed<T>(
  log: DebugLog | undefined,
  what: string,
  operation: () => Promise<T>,
  outcome: (result: T) => string = () => 'done',
): Promise<T> {
  if (!log) return operation();
  const started = performance.now();
  try {
    const result = await operation();
    log(`${what} ${outcome(result)} in ${elapsed(started)} ms`);
    return result;
  } catch (error) {
    log(`${what} failed (${failureOf(error)}) after ${elapsed(started)} ms`);
    throw error;
  }
}

/**
 * A `fetch` for oauth4webapi and jose that logs each call to the IdP as its method, its URL
 * without the query, and the answer's status: discovery, JWKS, PAR, token and userinfo requests.
 */
export function loggedFetch(
  log: DebugLog,
): (url: string, init: { method: string }) => Promise<Response> {
  return (url, init) => {
    const { origin, pathname } = new URL(url);
    return timed(
      log,
      `idp: ${init.method} ${origin}${pathname}`,
      // oauth4webapi's and jose's options are fetch's own.
      () => fetch(url, init as RequestInit),
      (response) => `answered ${response.status}`,
    );
  };
}
