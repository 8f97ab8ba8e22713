import type { SessionResponse } from '@latchkey/react';
import { SESSION_ELEMENT_ID } from './config';

/**
 * The session the server rendered the page with, from its JSON data block; `undefined` when the
 * page has none (then the provider asks `GET /auth/session`). The provider checks the shape.
 */
export function readInitialSession(doc: Document): SessionResponse | undefined {
  const text = doc.getElementById(SESSION_ELEMENT_ID)?.textContent;
  if (!text) return undefined;
  try {
    return JSON.parse(text) as SessionResponse;
  } catch {
    return undefined;
  }
}
