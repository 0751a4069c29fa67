/**
 * The Lua scripts of the Redis store: every check-then-write of the Store contract runs as one
 * script, so Redis executes it whole with no other client's command in between. Times (`now`,
 * expiries) come in as arguments: the caller's clock, as in the memory store.
 */

export interface ScriptDefinition {
  numberOfKeys: number;
  lua: string;
}

/**
 * KEYS: room code, channel, record, instance set, authorized, reservations, seats, kicks, offer
 * index (see reserveInFullest). ARGV: id, record JSON, user to reserve for ('' for none),
 * reservation expiry, offered ('1' when a public world instance: it goes in the offer index),
 * authorized users….
 */
const createInstance: ScriptDefinition = {
  numberOfKeys: 9,
  lua: `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'room-code-taken' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'channel-taken' end
redis.call('DEL', KEYS[5], KEYS[6], KEYS[7], KEYS[8])
redis.call('SET', KEYS[3], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[1])
if ARGV[5] == '1' then redis.call('SADD', KEYS[9], ARGV[1]) end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[1])
for i = 6, #ARGV do redis.call('RPUSH', KEYS[5], ARGV[i]) end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[6], ARGV[4], ARGV[3]) end
return 'created'
`,
};

/** KEYS: record, seats, reservations. ARGV: user, capacity, now, expiry. 1 reserved (or seated), 0 full or ended. */
const reserveSeat: ScriptDefinition = {
  numberOfKeys: 3,
  lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])
for _, user in ipairs(redis.call('HVALS', KEYS[2])) do
  if user == ARGV[1] then return 1 end
end
if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then
  if redis.call('HLEN', KEYS[2]) + redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[2]) then return 0 end
end
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
return 1
`,
};

/**
 * KEYS: offer index, the ids of the public world instances of one location and topology (kept by
 * createInstance and endInstance). ARGV: key prefix, user, now, expiry. The records, seats,
 * reservations and kicks it reads are found by id under the prefix (one Redis, no cluster); an id
 * whose record is gone leaves the index. → {record JSON, authorized users…} of the instance it
 * reserved in, or false.
 */
const reserveInFullest: ScriptDefinition = {
  numberOfKeys: 1,
  lua: `
local prefix, user, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
-- Seats (taken and reserved) and the record's capacity and age, read only when a choice needs them:
-- a user who already has a seat somewhere (a reconnect) costs no count and no decoding.
local function measure(c)
  if c.seats == nil then
    c.seats = c.taken + redis.call('ZCOUNT', prefix .. 'reservations:' .. c.id, '(' .. now, '+inf')
    local record = cjson.decode(c.json)
    c.capacity, c.created = record.capacity, record.createdAt
  end
  return c
end
local best
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local json = redis.call('GET', prefix .. 'record:' .. id)
  if not json then
    redis.call('SREM', KEYS[1], id)
  elseif tonumber(redis.call('ZSCORE', prefix .. 'kicks:' .. id, 'u:' .. user) or '0') <= now then
    local seatUsers = redis.call('HVALS', prefix .. 'seats:' .. id)
    local seated = false
    for _, seatUser in ipairs(seatUsers) do
      if seatUser == user then seated = true break end
    end
    local expiry = seated or redis.call('ZSCORE', prefix .. 'reservations:' .. id, user)
    local c = { id = id, json = json, taken = #seatUsers, seated = seated, has = seated or (expiry and tonumber(expiry) > now) }
    -- The user's own instance wins; among several of theirs, or among others, the fullest, then the oldest.
    if best == nil then
      if c.has or measure(c).seats < c.capacity then best = c end
    elseif c.has == best.has then
      if c.has or measure(c).seats < c.capacity then
        measure(c)
        measure(best)
        if c.seats > best.seats or (c.seats == best.seats and c.created < best.created) then best = c end
      end
    elseif c.has then
      best = c
    end
  end
end
if best == nil then return false end
if not best.seated then redis.call('ZADD', prefix .. 'reservations:' .. best.id, ARGV[4], user) end
local answer = {best.json}
for _, authorized in ipairs(redis.call('LRANGE', prefix .. 'authorized:' .. best.id, 0, -1)) do
  answer[#answer + 1] = authorized
end
return answer
`,
};

/** KEYS: record, seats, reservations. ARGV: peer, user, capacity, now. */
const claimSeat: ScriptDefinition = {
  numberOfKeys: 3,
  lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'ended' end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[4])
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1
  or redis.call('ZREM', KEYS[3], ARGV[2]) == 1
  or redis.call('HLEN', KEYS[2]) + redis.call('ZCARD', KEYS[3]) < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  return 'claimed'
end
return 'full'
`,
};

/** KEYS: seats, reservations. ARGV: now. → {peers, live reservations, last expiry or ''}. */
const seatCounts: ScriptDefinition = {
  numberOfKeys: 2,
  lua: `
local peers = redis.call('HLEN', KEYS[1])
local live = redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[1], '+inf')
local last = redis.call('ZREVRANGEBYSCORE', KEYS[2], '+inf', '(' .. ARGV[1], 'WITHSCORES', 'LIMIT', 0, 1)
return {peers, live, last[2] or ''}
`,
};

/** KEYS: record, authorized. ARGV: user. */
const authorizeUser: ScriptDefinition = {
  numberOfKeys: 2,
  lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('LPOS', KEYS[2], ARGV[1]) then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1
`,
};

/**
 * KEYS: record, kicks. ARGV: now, until, members ('p:<peerId>', 'u:<userId>'). A member keeps
 * its latest `until`; lapsed kicks go whenever a new one comes.
 */
const addKick: ScriptDefinition = {
  numberOfKeys: 2,
  lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for i = 3, #ARGV do redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[i]) end
return 1
`,
};

/**
 * KEYS: record, instance set, authorized, seats, reservations, kicks, room code, channel, offer
 * index. ARGV: id. The room code and channel go only while they still name this instance; the id
 * leaves the offer index whatever it is (no other instance has it).
 */
const endInstance: ScriptDefinition = {
  numberOfKeys: 9,
  lua: `
if redis.call('GET', KEYS[7]) == ARGV[1] then redis.call('DEL', KEYS[7]) end
if redis.call('GET', KEYS[8]) == ARGV[1] then redis.call('DEL', KEYS[8]) end
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[9], ARGV[1])
return 1
`,
};

/**
 * KEYS: servers (id → registration JSON), server expiries (id → ms). ARGV: now. The live server
 * with room and the lowest load / capacity (ties: the lower id) gets one more instance counted.
 * → {registration JSON, expiry} or nil.
 */
const allocateServer: ScriptDefinition = {
  numberOfKeys: 2,
  lua: `
local live = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf', 'WITHSCORES')
local best, bestId, bestRatio, bestExpiry
for i = 1, #live, 2 do
  local json = redis.call('HGET', KEYS[1], live[i])
  if json then
    local server = cjson.decode(json)
    if server.load < server.capacity then
      local ratio = server.load / server.capacity
      if best == nil or ratio < bestRatio or (ratio == bestRatio and live[i] < bestId) then
        best, bestId, bestRatio, bestExpiry = server, live[i], ratio, live[i + 1]
      end
    end
  end
end
if best == nil then return false end
best.load = best.load + 1
local encoded = cjson.encode(best)
redis.call('HSET', KEYS[1], bestId, encoded)
return {encoded, bestExpiry}
`,
};

/** KEYS: servers, server expiries. ARGV: now. Removes the lapsed registrations → their JSON. */
const takeLapsedServers: ScriptDefinition = {
  numberOfKeys: 2,
  lua: `
local lapsed = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])) do
  local json = redis.call('HGET', KEYS[1], id)
  if json then table.insert(lapsed, json) end
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return lapsed
`,
};

export const SCRIPTS = {
  irCreateInstance: createInstance,
  irReserveSeat: reserveSeat,
  irReserveInFullest: reserveInFullest,
  irClaimSeat: claimSeat,
  irSeatCounts: seatCounts,
  irAuthorizeUser: authorizeUser,
  irAddKick: addKick,
  irEndInstance: endInstance,
  irAllocateServer: allocateServer,
  irTakeLapsedServers: takeLapsedServers,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
