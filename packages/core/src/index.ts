export type { AuthorizationParams } from './client';
export type { LatchkeyOptions, SessionOptions } from './config';
export { type ErrorCode, ErrorCodes, isLatchkeyError, LatchkeyError } from './errors';
export type { LatchkeyEvent } from './events';
export {
  type AuthContext,
  createLatchkey,
  Latchkey,
  type LoginParams,
  type SetCookieSink,
} from './latchkey';
export { MemoryRevocationList, MemorySessionStore, type MemoryStoreOptions } from './memory';
export { type NodeRequestLike, toWebRequest } from './node';
export { errorResponse, safeReturnTo, wantsJson } from './request';
export type { RevocationList, RevocationSubject, RevocationTarget } from './revocation';
export type { Session, SessionUser } from './session';
export type { ReplayCache, SessionFilter, SessionStore, StoredSession } from './store';
