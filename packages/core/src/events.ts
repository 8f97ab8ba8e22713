/** An audit event. Never carries tokens; `sub` identifies the user. */
export type LatchkeyEvent =
  | { type: 'login'; sub: string; sessionId: string; acr?: string }
  | { type: 'login_failed'; code: string }
  | { type: 'logout'; sub: string; sessionId: string }
  | { type: 'refresh'; sub: string; sessionId: string }
  | { type: 'refresh_failed'; sub: string; sessionId: string; code: string }
  | { type: 'backchannel_logout'; sub: string | undefined; idpSid: string | undefined }
  /** A step-up guard asked a signed-in user to authenticate again (redirect or 401 challenge). */
  | { type: 'step_up'; sub: string; acr?: string; maxAge?: number }
  /** A role or permission guard refused a signed-in user (403). */
  | { type: 'access_denied'; sub: string; role?: string; permission?: string };
