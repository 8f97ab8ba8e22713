/**
 * Sessions, revocation and single-flight refresh locks in Redis, shared by every instance of an
 * app.
 *
 * @module @latchkey/redis
 */
export {
  failFastRedisOptions,
  type RedisClient,
  type RedisStoreOptions,
  RedisUnavailableError,
} from './connection';
export type { SessionCacheOptions } from './read-cache';
export { RedisRevocationList } from './revocation-list';
export { RedisSessionStore, type RedisSessionStoreOptions } from './session-store';
