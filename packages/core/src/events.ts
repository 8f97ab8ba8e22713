/** An audit event. Never carries tokens; `sub` identifies the user. */
export type LatchkeyEvent =
  /** A sign-in started a session: at the IdP, or with a passkey (`method: 'passkey'`). */
  | { type: 'login'; sub: string; sessionId: string; acr?: string; method?: 'passkey' }
  | { type: 'login_failed'; code: string; method?: 'passkey' }
  | { type: 'logout'; sub: string; sessionId: string }
  | { type: 'refresh'; sub: string; sessionId: string }
  | { type: 'refresh_failed'; sub: string; sessionId: string; code: string }
  | { type: 'backchannel_logout'; sub: string | undefined; idpSid: string | undefined }
  /** A step-up guard asked a signed-in user to authenticate again (redirect or 401 challenge). */
  | { type: 'step_up'; sub: string; acr?: string; maxAge?: number }
  /** A passkey assertion raised a session (a new session id) to the passkey's `acr`. */
  | { type: 'passkey_step_up'; sub: string; sessionId: string; acr: string }
  /** A signed-in user registered a passkey. */
  | { type: 'passkey_registered'; sub: string }
  /** A signed-in user removed one of their passkeys. */
  | { type: 'passkey_removed'; sub: string }
  /** A role or permission guard refused a signed-in user (403). */
  | { type: 'access_denied'; sub: string; role?: string; permission?: string };
