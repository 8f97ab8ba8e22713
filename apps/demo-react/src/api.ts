import { type AuthErrorCode, AuthErrorCodes } from '@latchkey/react';

/** The JSON error body of latchkey and of the demo API: `{ error, message? }`. */
interface Problem {
  error: string;
  message?: string;
}

function isProblem(body: unknown): body is Problem {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { error?: unknown }).error === 'string'
  );
}

/** The JSON body of a response, or `undefined` when it has none. */
export async function readJson(response: Response): Promise<unknown> {
  return response.json().catch(() => undefined);
}

/** A sentence for a failed API response, from its `{ error, message }` body when it has one. */
export function describeFailure(status: number, body: unknown): string {
  if (!isProblem(body)) return `The request failed (HTTP ${status}).`;
  const message = body.message ? `${body.message} ` : '';
  return `${message}(HTTP ${status}, ${body.error})`;
}

/** True for an `AuthError` with that code (compared by code: the ESM and CJS builds differ). */
export function hasAuthErrorCode(error: unknown, code: AuthErrorCode): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === code;
}

/** A sentence for a thrown error: a network failure or a refused `authFetch` call. */
export function describeError(error: unknown): string {
  if (hasAuthErrorCode(error, AuthErrorCodes.networkError)) {
    return 'The server could not be reached. Check your connection and try again.';
  }
  return error instanceof Error ? error.message : String(error);
}
