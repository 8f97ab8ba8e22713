/**
 * A value or a promise of it. latchkey's per-request methods return one so that an answer from
 * memory (a cached session or token) costs no promise and no await; callers always `await` it.
 */
export type Awaitable<T> = T | PromiseLike<T>;

/** True when `value` is a promise (any thenable). */
export function isPromiseLike<T>(value: Awaitable<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

/** Runs `next` on the value now, or once its promise resolves (rejections pass through). */
export function andThen<T, R>(value: Awaitable<T>, next: (value: T) => Awaitable<R>): Awaitable<R> {
  return isPromiseLike(value) ? Promise.resolve(value).then(next) : next(value);
}

/**
 * Calls `next` with the value now, or once its promise resolves; a rejection goes to `fail`.
 * Adapters use it to stay synchronous (no promise, no microtask) when core answers from memory.
 */
export function whenReady<T>(
  value: Awaitable<T>,
  next: (value: T) => void,
  fail: (error: unknown) => void,
): void {
  if (isPromiseLike(value)) Promise.resolve(value).then(next, fail);
  else next(value);
}
