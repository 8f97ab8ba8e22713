import { LuaScript } from './connection';

/*
 * The Lua scripts behind the session store and the revocation list. Each runs atomically in Redis,
 * costs one round trip, and touches only keys of one hash slot, so they run unchanged on Redis
 * Cluster: a session's own keys share the hash tag of its id (`session:{id}`, `ended:{id}`), and
 * each index is a key of its own, updated by a script of its own.
 *
 * An index (of a user's sessions, or of an IdP session's) is a sorted set of session ids scored by
 * when each session expires (epoch ms, Redis's clock), so entries of sessions that expired on
 * their own are dropped by score, without reading other keys.
 *
 * Session values are JSON `{ sub, idpSid?, data }`; scripts decode them with cjson under pcall so
 * a malformed value never makes a script fail.
 */

/**
 * Adds a session to an index until it expires, drops the entries that expired, and keeps the
 * index at least as long as its longest session.
 * KEYS: index key
 * ARGV: session id, ttl seconds
 */
export const INDEX_SESSION = new LuaScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[2]) * 1000
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
-- A second longer than its longest session: an entry never outlives its index.
if redis.call('PTTL', KEYS[1]) < ttl + 1000 then redis.call('PEXPIRE', KEYS[1], ttl + 1000) end
return 1
`);

/**
 * Writes a session unless it was ended (destroy, destroyBy): a write in flight when its session
 * ended is dropped.
 * KEYS: session key, ended key
 * ARGV: json, ttl seconds
 * Returns {0} when ended, else {1} or {1, the value it replaced}.
 */
export const WRITE_SESSION = new LuaScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return {0} end
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if old then return {1, old} end
return {1}
`);

/**
 * Ends a session: deletes it and leaves an "ended" marker for the rest of its lifetime (at least a
 * minute, and never shortening a marker already there), so that a write in flight is dropped.
 * With a field and value, only a session whose field has that value (or cannot be read) ends.
 * With a fence, an id whose session is not there (yet) is marked ended for that long: its write,
 * if one is in flight, is dropped too.
 * KEYS: session key, ended key
 * ARGV: field ('' for none), value, fence milliseconds (0 for none)
 * Returns the value of the session that ended, or false.
 */
export const END_SESSION = new LuaScript(`
local function mark(ms)
  if ms > redis.call('PTTL', KEYS[2]) then redis.call('SET', KEYS[2], '1', 'PX', ms) end
end
local value = redis.call('GET', KEYS[1])
if not value then
  if tonumber(ARGV[3]) > 0 then mark(tonumber(ARGV[3])) end
  return false
end
if ARGV[1] ~= '' then
  local ok, session = pcall(cjson.decode, value)
  if ok and type(session) == 'table' and type(session[ARGV[1]]) == 'string'
    and session[ARGV[1]] ~= ARGV[2] then
    return false
  end
end
local pttl = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[1])
mark(math.max(pttl, 60000))
return value
`);

/**
 * Releases a lock only while it still holds our token (it may have expired and been retaken).
 * KEYS: lock key
 * ARGV: token
 */
export const RELEASE_LOCK = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * revoke(target, revokedAt, ttl): keeps the later revokedAt and the longer remaining lifetime of
 * the entry already there, if any.
 * KEYS: revocation key
 * ARGV: revokedAt (epoch ms), ttl milliseconds
 */
export const REVOKE = new LuaScript(`
local value = ARGV[1]
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) and tonumber(current) > tonumber(value) then value = current end
local ttl = tonumber(ARGV[2])
local remaining = redis.call('PTTL', KEYS[1])
if remaining > ttl then ttl = remaining end
redis.call('SET', KEYS[1], value, 'PX', string.format('%d', ttl))
return 1
`);

/*
 * The passkey stores' scripts. Each touches a single key (one user's hash, or one challenge), so
 * none depends on keys living together.
 */

/**
 * Replaces a hash field only while it still holds the value the caller read (compare-and-set).
 * KEYS: hash key
 * ARGV: field, expected value, new value
 * Returns 1 when replaced, 0 when the field changed meanwhile, -1 when it is gone.
 */
export const REPLACE_FIELD = new LuaScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return -1 end
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`);

/**
 * Get-or-create of a hash field: the value already there, or `candidate` once stored.
 * KEYS: hash key
 * ARGV: field, candidate
 */
export const FIELD_OR_SET = new LuaScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then return current end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ARGV[2]
`);

/**
 * Deletes a hash and returns the names of its fields that start with a prefix.
 * KEYS: hash key
 * ARGV: field prefix
 */
export const DELETE_HASH = new LuaScript(`
local names = {}
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, #ARGV[1]) == ARGV[1] then table.insert(names, field) end
end
redis.call('DEL', KEYS[1])
return names
`);

/**
 * Takes a pending challenge once: returns its record and leaves 'consumed' in its place for the
 * rest of its lifetime (KEEPTTL, Redis 6). A second take returns 'consumed'; a missing key nil.
 * KEYS: challenge key
 */
export const CONSUME_CHALLENGE = new LuaScript(`
local value = redis.call('GET', KEYS[1])
if not value then return false end
if value ~= 'consumed' then redis.call('SET', KEYS[1], 'consumed', 'KEEPTTL') end
return value
`);
