/**
 * Lua scripts: every operation that reads and then writes runs as one script, so it
 * is atomic with respect to every other client. Time (`now`) comes from the caller's
 * injected clock, so both drivers expire records by the same clock; Redis's own
 * PEXPIRE only reclaims memory afterwards.
 *
 * Keys (P = key prefix): record `P r|ns|key` (hash v, n = version, e = expiresAt),
 * namespace index `P i|ns` (sorted set of keys, for ordered listing), counter
 * `P c|name` (hash n, e), log entries `P l|name` (hash seq → "hash data"), log head
 * `P h|name` (hash seq, hash), channel `P ch|name`.
 */

/** KEYS: record, index. ARGV: value, ifVersion|'' , ttlMs|'', now, key. Returns {1, version} or {0, current}. */
export const PUT = `
local cur = redis.call('HMGET', KEYS[1], 'n', 'e')
local ver = tonumber(cur[1]) or 0
local exp = tonumber(cur[2])
local now = tonumber(ARGV[4])
if ver > 0 and exp and exp <= now then ver = 0 end
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= ver then return {0, ver} end
ver = ver + 1
if ARGV[3] ~= '' then
  local ttl = tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], 'v', ARGV[1], 'n', ver, 'e', string.format('%.0f', now + ttl))
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('HSET', KEYS[1], 'v', ARGV[1], 'n', ver)
  redis.call('HDEL', KEYS[1], 'e')
  redis.call('PERSIST', KEYS[1])
end
redis.call('ZADD', KEYS[2], 0, ARGV[5])
return {1, ver}
`;

/** KEYS: record, index. ARGV: ifVersion|'', now, key. Returns {1, existed 0/1} or {0, current}. */
export const DELETE = `
local cur = redis.call('HMGET', KEYS[1], 'n', 'e')
local ver = tonumber(cur[1]) or 0
local exp = tonumber(cur[2])
if ver > 0 and exp and exp <= tonumber(ARGV[2]) then ver = 0 end
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= ver then return {0, ver} end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[3])
if ver > 0 then return {1, 1} end
return {1, 0}
`;

/**
 * KEYS: index. ARGV: record key base ("P r|ns|"), lex min, lex max, limit, now.
 * Returns a flat list key, value, version, expiresAt|'' in key order; drops index
 * entries whose record Redis already expired.
 */
export const LIST = `
local base, min, max = ARGV[1], ARGV[2], ARGV[3]
local limit, now = tonumber(ARGV[4]), tonumber(ARGV[5])
local out, count = {}, 0
while count < limit do
  local batch = redis.call('ZRANGEBYLEX', KEYS[1], min, max, 'LIMIT', 0, 512)
  if #batch == 0 then break end
  for _, m in ipairs(batch) do
    local r = redis.call('HMGET', base .. m, 'v', 'n', 'e')
    if not r[2] then
      redis.call('ZREM', KEYS[1], m)
    else
      local e = tonumber(r[3])
      if not e or e > now then
        out[#out + 1] = m
        out[#out + 1] = r[1]
        out[#out + 1] = r[2]
        out[#out + 1] = r[3] or ''
        count = count + 1
        if count >= limit then break end
      end
    end
  end
  min = '(' .. batch[#batch]
end
return out
`;

/** KEYS: counter. ARGV: windowMs|'', now. Returns the new value. */
export const INCREMENT = `
local now = tonumber(ARGV[2])
local e = tonumber(redis.call('HGET', KEYS[1], 'e'))
if e and e <= now then redis.call('DEL', KEYS[1]) end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
if n == 1 and ARGV[1] ~= '' then
  local w = tonumber(ARGV[1])
  redis.call('HSET', KEYS[1], 'e', string.format('%.0f', now + w))
  redis.call('PEXPIRE', KEYS[1], w)
end
return n
`;

/**
 * KEYS: entries, head. ARGV: expected seq, expected hash ('' = none), then hash, data
 * pairs built from that head. Appends them only if the head is still what the
 * builders saw. Returns {1, last seq} or {0, current seq, current hash}.
 */
export const APPEND = `
local h = redis.call('HMGET', KEYS[2], 'seq', 'hash')
local seq = tonumber(h[1]) or 0
local hash = h[2] or ''
if seq ~= tonumber(ARGV[1]) or hash ~= ARGV[2] then return {0, seq, hash} end
for i = 3, #ARGV, 2 do
  seq = seq + 1
  redis.call('HSET', KEYS[1], string.format('%.0f', seq), ARGV[i] .. ' ' .. ARGV[i + 1])
  hash = ARGV[i]
end
redis.call('HSET', KEYS[2], 'seq', string.format('%.0f', seq), 'hash', hash)
return {1, seq}
`;

/** KEYS: entries, head. ARGV: from seq, limit. Returns the stored "hash data" strings of seq from, from + 1, … (at most limit). */
export const READ_LOG = `
local last = tonumber(redis.call('HGET', KEYS[2], 'seq')) or 0
local from = tonumber(ARGV[1])
local upto = math.min(last, from + tonumber(ARGV[2]) - 1)
local out = {}
for s = from, upto do
  local e = redis.call('HGET', KEYS[1], string.format('%.0f', s))
  if not e then break end
  out[#out + 1] = e
end
return out
`;

export const SCRIPTS = {
  bgPut: { numberOfKeys: 2, lua: PUT },
  bgDelete: { numberOfKeys: 2, lua: DELETE },
  bgList: { numberOfKeys: 1, lua: LIST },
  bgIncrement: { numberOfKeys: 1, lua: INCREMENT },
  bgAppend: { numberOfKeys: 2, lua: APPEND },
  bgReadLog: { numberOfKeys: 2, lua: READ_LOG },
} as const;

type Arg = string | number;
type Reply = Promise<unknown>;

/** The client with the scripts above defined as commands (ioredis runs EVALSHA, falling back to EVAL). */
export interface ScriptCommands {
  bgPut(rec: string, idx: string, value: string, ifVersion: Arg, ttlMs: Arg, now: Arg, key: string): Reply;
  bgDelete(rec: string, idx: string, ifVersion: Arg, now: Arg, key: string): Reply;
  bgList(idx: string, base: string, min: string, max: string, limit: Arg, now: Arg): Reply;
  bgIncrement(counter: string, windowMs: Arg, now: Arg): Reply;
  bgAppend(entries: string, head: string, ...args: Arg[]): Reply;
  bgReadLog(entries: string, head: string, from: Arg, limit: Arg): Reply;
}
