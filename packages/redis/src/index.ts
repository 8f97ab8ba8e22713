export { failFastRedisOptions, type RedisStoreOptions, RedisUnavailableError } from './connection';
export { RedisChallengeStore, RedisCredentialStore } from './passkey-stores';
export { RedisRevocationList } from './revocation-list';
export { RedisSessionStore } from './session-store';
