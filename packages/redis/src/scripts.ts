import { LuaScript } from './connection';

/*
 * The Lua scripts behind the session store and the revocation list. Each runs atomically in Redis
 * and costs one round trip. Key names that depend on stored data (a session's other index) are
 * built inside the scripts from namespace prefixes passed in ARGV, so the layout is defined once,
 * in TypeScript. That is why the scripts need a standalone Redis (or Sentinel), not Cluster.
 *
 * Session values are JSON `{ sub, idpSid?, data }`; scripts decode them with cjson under pcall so
 * a malformed value never makes a script fail.
 */

/** Adds `id` to an index set and makes the set live at least `ttl` seconds. */
const INDEX_ADD = `
local function index_add(index, id, ttl)
  redis.call('SADD', index, id)
  if redis.call('TTL', index) < ttl then redis.call('EXPIRE', index, ttl) end
end
`;

/**
 * set(sessionId, session, ttl).
 * KEYS: session key, ended key, sub index, [sid index]
 * ARGV: json, ttl seconds, session id, session ns, sub ns, sid ns
 * Returns 0 when the session was ended (destroy, destroyBy) and is not written again, else 1.
 */
export const SET_SESSION = new LuaScript(`${INDEX_ADD}
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local ttl = tonumber(ARGV[2])
local id = ARGV[3]
local old = redis.call('GET', KEYS[1])
if old then
  local ok, prev = pcall(cjson.decode, old)
  if ok and type(prev) == 'table' then
    if type(prev.sub) == 'string' and ARGV[5] .. prev.sub ~= KEYS[3] then
      redis.call('SREM', ARGV[5] .. prev.sub, id)
    end
    if type(prev.idpSid) == 'string' and ARGV[6] .. prev.idpSid ~= KEYS[4] then
      redis.call('SREM', ARGV[6] .. prev.idpSid, id)
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
for i = 3, #KEYS do
  -- Sessions that expired on their own leave their ids behind: drop a few on every write, so an
  -- index stays near the size of its live sessions however long its user keeps signing in.
  for _, member in ipairs(redis.call('SRANDMEMBER', KEYS[i], 3)) do
    if member ~= id and redis.call('EXISTS', ARGV[4] .. member) == 0 then
      redis.call('SREM', KEYS[i], member)
    end
  end
  index_add(KEYS[i], id, ttl)
end
return 1
`);

/** Deletes one session, leaves an "ended" marker for the rest of its lifetime, unindexes it. */
const END_SESSION = `
local function end_session(key, ended, id, value, sub_ns, sid_ns)
  local pttl = redis.call('PTTL', key)
  redis.call('DEL', key)
  if pttl > 0 then redis.call('SET', ended, '1', 'PX', pttl) end
  local ok, session = pcall(cjson.decode, value)
  if ok and type(session) == 'table' then
    if type(session.sub) == 'string' then redis.call('SREM', sub_ns .. session.sub, id) end
    if type(session.idpSid) == 'string' then redis.call('SREM', sid_ns .. session.idpSid, id) end
  end
end
`;

/**
 * destroy(sessionId).
 * KEYS: session key, ended key
 * ARGV: session id, sub ns, sid ns
 * Returns 1 when a session ended, 0 when there was none.
 */
export const DESTROY_SESSION = new LuaScript(`${END_SESSION}
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
end_session(KEYS[1], KEYS[2], ARGV[1], value, ARGV[2], ARGV[3])
return 1
`);

/**
 * destroyBy(filter): every session in one index set, then the set itself, in one atomic step.
 * KEYS: index key
 * ARGV: session ns, ended ns, sub ns, sid ns, filter field ('sub' or 'idpSid'), filter value
 * Returns how many sessions ended. A member whose session now belongs to someone else (possible
 * only after a malformed value defeated the clean-up of `set`) is left alone.
 */
export const DESTROY_BY = new LuaScript(`${END_SESSION}
local ended = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. id
  local value = redis.call('GET', key)
  if value then
    local ok, session = pcall(cjson.decode, value)
    local other = ok and type(session) == 'table' and type(session[ARGV[5]]) == 'string'
      and session[ARGV[5]] ~= ARGV[6]
    if not other then
      end_session(key, ARGV[2] .. id, id, value, ARGV[3], ARGV[4])
      ended = ended + 1
    end
  end
end
redis.call('DEL', KEYS[1])
return ended
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
