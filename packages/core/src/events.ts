/** An audit event. Never carries tokens; `sub` identifies the user. */
export type LatchkeyEvent =
  /** A sign-in started a session: at the IdP, or with a passkey (`method: 'passkey'`). */
  | {
      /** Discriminant: a session started. */
      type: 'login';
      /** The user who signed in (`sub` claim). */
      sub: string;
      /** latchkey's id of the new session (not the IdP's `sid`). */
      sessionId: string;
      /**
       * The session's authentication level (`acr` claim); absent when the ID token has none or a
       * passkey sign-in proved no level.
       */
      acr?: string;
      /** `'passkey'` for a passkey sign-in; absent for a sign-in at the IdP. */
      method?: 'passkey';
    }
  /** A sign-in failed (at the callback, or a passkey sign-in); no session was started. */
  | {
      /** Discriminant: a sign-in failed. */
      type: 'login_failed';
      /** The failure's latchkey error code (see `ErrorCodes`); `'internal_error'` if unexpected. */
      code: string;
      /** `'passkey'` when a passkey sign-in failed; absent for a sign-in at the IdP. */
      method?: 'passkey';
    }
  /** A user signed out through the logout route; their session ended. */
  | {
      /** Discriminant: a sign-out. */
      type: 'logout';
      /** The user who signed out. */
      sub: string;
      /** latchkey's id of the session that ended. */
      sessionId: string;
    }
  /** The session's tokens were refreshed at the IdP (`getAccessToken()` found them expiring). */
  | {
      /** Discriminant: tokens refreshed. */
      type: 'refresh';
      /** The user whose tokens were refreshed. */
      sub: string;
      /** latchkey's id of the session, which keeps its id. */
      sessionId: string;
    }
  /**
   * Refreshing the session's tokens failed for good (the IdP refused the refresh token, there is
   * none, or the new ID token names another user), so the session ended. An unreachable IdP ends
   * nothing and raises no event.
   */
  | {
      /** Discriminant: a refresh failed and the session ended. */
      type: 'refresh_failed';
      /** The user whose session ended. */
      sub: string;
      /** latchkey's id of the session that ended. */
      sessionId: string;
      /** Always `'refresh_failed'`: the code of the error `getAccessToken()` throws. */
      code: string;
    }
  /** The IdP sent a valid back-channel logout token; the sessions it names ended. */
  | {
      /** Discriminant: a sign-out sent by the IdP. */
      type: 'backchannel_logout';
      /** The logout token's `sub` claim, if it has one. */
      sub: string | undefined;
      /**
       * The logout token's `sid` claim (the IdP's session id), if it has one: then the sessions of
       * that IdP session ended; without it, every session of `sub`.
       */
      idpSid: string | undefined;
    }
  /** A step-up guard asked a signed-in user to authenticate again (redirect or 401 challenge). */
  | {
      /** Discriminant: a step-up was asked for. */
      type: 'step_up';
      /** The user asked to step up. */
      sub: string;
      /** The level the guard requires, if it requires one. */
      acr?: string;
      /** The guard's `maxAge`, if it sets one: the most seconds since the last authentication. */
      maxAge?: number;
    }
  /** A passkey assertion raised a session (a new session id) to the passkey's `acr`. */
  | {
      /** Discriminant: a passkey step-up succeeded. */
      type: 'passkey_step_up';
      /** The user who stepped up. */
      sub: string;
      /** latchkey's id of the raised session; the previous id no longer works. */
      sessionId: string;
      /** The level the session now has: the configured `stepUp.passkey.acr`. */
      acr: string;
    }
  /** A signed-in user registered a passkey. */
  | {
      /** Discriminant: a passkey was added. */
      type: 'passkey_registered';
      /** The user who registered it. */
      sub: string;
    }
  /** A signed-in user removed one of their passkeys. */
  | {
      /** Discriminant: a passkey was removed. */
      type: 'passkey_removed';
      /** The user who removed it. */
      sub: string;
    }
  /** A role or permission guard refused a signed-in user (403). */
  | {
      /** Discriminant: a guard refused (403). */
      type: 'access_denied';
      /** The user refused. */
      sub: string;
      /** The role the guard required, when it was a role guard. */
      role?: string;
      /** The permission the guard required, when it was a permission guard. */
      permission?: string;
    };
