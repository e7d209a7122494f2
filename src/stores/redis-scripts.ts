import type { RedisScript } from './redis-client.js'

/*
 * RedisStore's Lua scripts. Redis runs a script alone, so each is atomic. The ones that write
 * a record also write its owner index entry (see redis-owner-keys.ts): every key they touch is
 * in the record's slot, so they run on Redis Cluster too. They read a stored record's fields
 * from the start of its value (see redis-record.ts) with `GETRANGE`, never the whole value.
 */

/** Functions shared by the write and delete scripts. ARGV[1]: group head; ARGV[2]: suffix. */
const OWNER_ENTRIES = `local function groupOf(owner) return ARGV[1] .. owner .. ARGV[2] end
local function entryOf(group, j) return group .. ':' .. j end

local function headOf(key)
  if redis.call('TYPE', key)['ok'] ~= 'string' then return nil end
  local head = redis.call('GETRANGE', key, 0, 255)
  local version, expiresAt, rest = string.match(head, '^{"version":([^,]+),"expiresAt":([^,]+),()')
  if rest == nil then return {} end
  local owner, entry = string.match(head, '^"owner":"([%w_%-]+)","entry":(%d+),', rest)
  return { version = tonumber(version), expiresAt = tonumber(expiresAt), owner = owner, entry = tonumber(entry) }
end

-- A group lives as long as its longest-lived entry, keeps no slot past its last live one, and
-- goes with its last entry.
local function settle(group)
  local n = tonumber(redis.call('HGET', group, 'n') or '0')
  local longest, used = 0, 0
  for j = 0, n - 1 do
    local ttl = redis.call('PTTL', entryOf(group, j))
    if ttl > 0 then
      used = j + 1
      if ttl > longest then longest = ttl end
    end
  end
  if used == 0 then
    redis.call('DEL', group)
    return
  end
  if used < n then redis.call('HSET', group, 'n', used) end
  redis.call('PEXPIRE', group, longest)
end

local function removeEntry(owner, j, member)
  local group = groupOf(owner)
  local entry = entryOf(group, j)
  if redis.call('GET', entry) == member then
    redis.call('DEL', entry)
    settle(group)
  end
end

local function allocate(group)
  local n = tonumber(redis.call('HGET', group, 'n') or '0')
  for j = 0, n - 1 do
    if redis.call('EXISTS', entryOf(group, j)) == 0 then return j end
  end
  redis.call('HSET', group, 'n', n + 1)
  return n
end
`

/**
 * create, compare-and-set and upsert, with the owner index. KEYS[1]: the record; KEYS[2]: the
 * new owner's group (absent for an unbound record). ARGV[3]: 'create', 'cas' or 'upsert';
 * ARGV[4]: the expected version; ARGV[5]: now (ms); ARGV[6]: PXAT; ARGV[7]: the record key;
 * ARGV[8], ARGV[9]: the value before and after its entry number (see `EncodedRecord`);
 * ARGV[10]: the new owner or ''; ARGV[11]: 'none' on a single server, else the directory horizon
 * the store has just registered ('0' for none). Returns 1 when written, 0 when refused (the key
 * exists, or is missing, expired or at another version), 2 when a cluster's directory must
 * first cover the record's expiry (nothing was written).
 */
export const WRITE: RedisScript = {
  source: `${OWNER_ENTRIES}
local record, mode = KEYS[1], ARGV[3]
local current
if mode == 'create' then
  if redis.call('EXISTS', record) == 1 then return 0 end
else
  current = headOf(record)
  if mode == 'cas' then
    if current == nil or current.version == nil or current.expiresAt == nil then return 0 end
    if current.version ~= tonumber(ARGV[4]) or current.expiresAt <= tonumber(ARGV[5]) then return 0 end
  end
end
local owner, member, group = ARGV[10], ARGV[7], KEYS[2]
local horizon, registered
if owner ~= '' and ARGV[11] ~= 'none' then
  registered = tonumber(redis.call('HGET', group, 'h') or '0')
  horizon = math.max(registered, tonumber(ARGV[11]))
  if horizon < tonumber(ARGV[6]) then return 2 end
end
local j
if current ~= nil and current.owner ~= nil then
  if current.owner == owner and redis.call('GET', entryOf(group, current.entry)) == member then
    j = current.entry
  else
    removeEntry(current.owner, current.entry, member)
  end
end
if owner == '' then
  redis.call('SET', record, ARGV[8], 'PXAT', ARGV[6])
  return 1
end
if j == nil then j = allocate(group) end
local entry = entryOf(group, j)
local before = redis.call('PTTL', entry)
redis.call('SET', record, ARGV[8] .. j .. ARGV[9], 'PXAT', ARGV[6])
redis.call('SET', entry, member, 'PXAT', ARGV[6])
if horizon ~= nil and horizon > registered then redis.call('HSET', group, 'h', horizon) end
local ttl = redis.call('PTTL', entry)
if ttl <= 0 or ttl < before then
  settle(group)
elseif redis.call('PTTL', group) < ttl then
  redis.call('PEXPIRE', group, ttl)
end
return 1`,
}

/** Deletes a record and its owner index entry. KEYS[1]: the record; ARGV[3]: its key. */
export const DELETE: RedisScript = {
  source: `${OWNER_ENTRIES}
local current = headOf(KEYS[1])
redis.call('DEL', KEYS[1])
if current ~= nil and current.owner ~= nil then removeEntry(current.owner, current.entry, ARGV[3]) end
return 1`,
}

/**
 * The live records of one of an owner's groups, each checked against its record (bound to this
 * owner, by this entry, not expired). KEYS[1]: the group; ARGV[1]: the store's prefix;
 * ARGV[2]: the owner; ARGV[3]: now (ms). Returns record key, value, record key, value, …
 */
export const LIST_GROUP: RedisScript = {
  source: `local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local found = {}
for j = 0, n - 1 do
  local member = redis.call('GET', KEYS[1] .. ':' .. j)
  if member then
    local key = ARGV[1] .. member
    if redis.call('TYPE', key)['ok'] == 'string' then
      local value = redis.call('GET', key)
      local expiresAt, owner, entry = string.match(value, '^{"version":[^,]+,"expiresAt":([^,]+),"owner":"([%w_%-]+)","entry":(%d+),')
      if owner == ARGV[2] and tonumber(entry) == j and tonumber(expiresAt) > tonumber(ARGV[3]) then
        found[#found + 1] = member
        found[#found + 1] = value
      end
    end
  end
end
return found`,
}

/**
 * Records in an owner's directory (Redis Cluster) that its group in a slot may hold records
 * until `horizon`, and drops the slots whose horizon has passed. KEYS[1]: the directory;
 * ARGV[1]: the slot's tag; ARGV[2]: the horizon (ms); ARGV[3]: now (ms).
 */
export const REGISTER: RedisScript = {
  source: `redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local score = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0')
if score < tonumber(ARGV[2]) then redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1`,
}
