import type { TokenSet } from './client';
import type { ResolvedConfig } from './config';
import { ErrorCodes, LatchkeyError } from './errors';
import type { Providers } from './providers';
import type { SessionBackend } from './session-backends';
import { claimsOf, type SessionRecord, withTokens } from './session-record';

/** An access token this close (seconds) to expiry is refreshed before use. */
const REFRESH_LEEWAY = 60;
/** How long a finished refresh is remembered, for requests that still carry the old cookie. */
const REMEMBER_MS = 60_000;
const MAX_REMEMBERED = 10_000;

interface Flight {
  /** The refresh token this refresh spent. */
  spent: string;
  result: Promise<SessionRecord>;
  startedAt: number;
}

/**
 * Keeps access tokens fresh. Refresh is single-flight per session in this process: concurrent
 * requests share one refresh grant, and a request still carrying the spent refresh token (an
 * older cookie) gets the refreshed tokens instead of spending it again, which an IdP with refresh
 * token rotation would treat as token theft.
 */
export class TokenRefresher {
  private readonly flights = new Map<string, Flight>();

  constructor(
    private readonly config: ResolvedConfig,
    private readonly providers: Providers,
    private readonly sessions: SessionBackend,
  ) {}

  /** True when the record's access token is missing or about to expire at `now` (epoch ms). */
  needsRefresh(record: SessionRecord, now: number): boolean {
    return (
      !record.at || (record.atExp !== undefined && record.atExp - REFRESH_LEEWAY <= now / 1000)
    );
  }

  /** The record with fresh tokens, refreshing at most once per session at a time. */
  async refresh(record: SessionRecord): Promise<SessionRecord> {
    const nowMs = this.config.now();
    this.forgetOld(nowMs);
    const flight = this.flights.get(record.sessionId);
    if (flight && flight.spent === record.rt) return flight.result;
    if (!record.rt) {
      throw new LatchkeyError(
        ErrorCodes.refreshFailed,
        "The access token expired and the session has no refresh token (ask for the 'offline_access' scope).",
      );
    }
    const result = this.sessions.coordinateRefresh(record, (current) => this.grant(current));
    this.flights.delete(record.sessionId);
    this.flights.set(record.sessionId, { spent: record.rt, result, startedAt: nowMs });
    // A failed refresh is not remembered: the next request may try again (e.g. IdP back up).
    result.catch(() => {
      if (this.flights.get(record.sessionId)?.result === result)
        this.flights.delete(record.sessionId);
    });
    return result;
  }

  private async grant(record: SessionRecord): Promise<SessionRecord> {
    let tokens: TokenSet;
    try {
      // refresh() made sure the session has one; another instance's record has the same.
      tokens = await this.providers.ofRecord(record).client.refresh(record.rt as string, record.dk);
    } catch (error) {
      if (error instanceof LatchkeyError && error.code !== ErrorCodes.idpUnreachable) {
        throw new LatchkeyError(
          ErrorCodes.refreshFailed,
          `Refreshing the access token failed (${error.code}); sign in again.`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    // OIDC Core 12.2: a refreshed ID token must be about the same user.
    if (tokens.claims && tokens.claims.sub !== claimsOf(record).sub) {
      throw new LatchkeyError(
        ErrorCodes.refreshFailed,
        'The refreshed ID token is about another user; the session has ended.',
      );
    }
    return withTokens(record, tokens);
  }

  private forgetOld(nowMs: number): void {
    for (const [sid, flight] of this.flights) {
      if (nowMs - flight.startedAt < REMEMBER_MS && this.flights.size <= MAX_REMEMBERED) break;
      this.flights.delete(sid);
    }
  }
}
