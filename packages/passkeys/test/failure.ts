import { expect } from 'vitest';

/** The error a promise rejects with; the test fails when it resolves. */
export async function failure(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; status?: number }> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: Error & { code?: string; status?: number }) => error,
  );
}
