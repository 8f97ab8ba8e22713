export { failFastRedisOptions, type RedisStoreOptions, RedisUnavailableError } from './connection';
export { RedisRevocationList } from './revocation-list';
export { RedisSessionStore } from './session-store';
