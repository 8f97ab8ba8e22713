/** An audit event. Never carries tokens; `sub` identifies the user. */
export type LatchkeyEvent =
  | { type: 'login'; sub: string; sessionId: string; acr?: string }
  | { type: 'login_failed'; code: string }
  | { type: 'logout'; sub: string; sessionId: string }
  | { type: 'refresh'; sub: string; sessionId: string }
  | { type: 'refresh_failed'; sub: string; sessionId: string; code: string }
  | { type: 'backchannel_logout'; sub: string | undefined; idpSid: string | undefined };
