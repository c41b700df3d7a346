#!lua name=tally_v3

-- tally's Redis Function library, version 3 (loaded by every worker with
-- FUNCTION LOAD REPLACE at start, and again whenever Redis answers that the
-- function is missing). This file is the source of truth; the worker
-- bundles it as a resource (TallyStore, TallyFunctionLibrary.swift).
--
-- tally_apply_v3 applies one record atomically: the claim, both summaries,
-- the log append and the stored outcome in one Function call, so that no
-- state exists where the claim is there and the effect is not.
--
-- KEYS: 1 destination base <prefix>:{dest}, 2 reference summary, 3 log
-- stream, 4 the recordId's claim shard (the bucket is appended here).
-- ARGV: 1 recordId, 2 fingerprint (16 hex), 3 type (positive|negative),
-- 4 value (plain non-negative decimal), 5 unit, 6 reference, 7 the
-- notification after the record up to "previous": (OutputComposer's
-- notification tail), 8 the alert threshold crossed or "" for no alert,
-- 9 canonical record JSON, 10 dedup bucket seconds, 11 dedup buckets (the
-- window is bucket seconds x (buckets - 1)), 12 the record's time in whole
-- seconds since the epoch, 13 how far ahead of now a record's time may be.
-- Returns {'applied', outcome}, {'pending', outcome} (applied before, not
-- yet confirmed), {'duplicate'}, {'conflict'} or {'outside-window',
-- 'old'|'future'} (not applied).
--
-- Exactly once with no window (docs/architecture.md, "Claims"): a claim is
-- kept until max(record time, now) + window, and a record whose time is
-- older than now - window is refused, so every duplicate that is accepted
-- finds its original's claim. Records dated more than ARGV 13 ahead are
-- refused too, which bounds how long a claim lives.
--
-- Lua numbers are doubles, so totals are kept as decimal strings and added
-- digit-wise (7 digits at a time, exact in a double); HINCRBYFLOAT would
-- drift. Only non-negative amounts are ever added (the sign lives in the
-- p:/n: field), so subtraction is needed only to render net.

-- Exact decimal arithmetic on plain non-negative decimal strings ("12.50").
local function parts(s)
  local i, f = string.match(s, '^(%d+)%.?(%d*)$')
  if i == nil then error('not a plain non-negative decimal: ' .. tostring(s)) end
  return i, f
end

-- Aligns two decimals to equal-length digit strings; returns them and the scale.
local function align(a, b)
  local ai, af = parts(a)
  local bi, bf = parts(b)
  local scale = math.max(#af, #bf)
  af = af .. string.rep('0', scale - #af)
  bf = bf .. string.rep('0', scale - #bf)
  local width = math.max(#ai, #bi)
  ai = string.rep('0', width - #ai) .. ai
  bi = string.rep('0', width - #bi) .. bi
  return ai .. af, bi .. bf, scale
end

local function place_point(digits, scale)
  local intlen = #digits - scale
  local int = string.sub(digits, 1, intlen)
  int = string.gsub(int, '^0+(%d)', '%1')
  if int == '' then int = '0' end
  if scale > 0 then return int .. '.' .. string.sub(digits, intlen + 1) end
  return int
end

-- x + y or x - y (x >= y) over aligned digit strings, 7 digits at a time.
local function chunked(x, y, sign)
  local out = {}
  local carry = 0
  local pos = #x
  while pos > 0 do
    local start = math.max(1, pos - 6)
    local width = pos - start + 1
    local limit = 10 ^ width
    local s = tonumber(string.sub(x, start, pos)) + sign * tonumber(string.sub(y, start, pos)) + carry
    if s >= limit then
      s = s - limit; carry = 1
    elseif s < 0 then
      s = s + limit; carry = -1
    else
      carry = 0
    end
    out[#out + 1] = string.format('%0' .. width .. 'd', s)
    pos = start - 1
  end
  local digits = {}
  if carry == 1 then digits[1] = '1' end
  for i = #out, 1, -1 do digits[#digits + 1] = out[i] end
  return table.concat(digits)
end

-- Byte order, as Swift's Summary sorts (Lua's < may use the locale).
local function byte_less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local ca, cb = string.byte(a, i), string.byte(b, i)
    if ca ~= cb then return ca < cb end
  end
  return #a < #b
end

-- The fast path of add and sub: when both operands have at most 15 digits
-- at the common scale, each is an integer below 10^15 in a double, and so
-- are their sum and difference (below 2^53): exact, as the digit-wise path
-- is, at a fraction of the Lua work (most amounts and totals are this
-- small). Returns nil when an operand is too long.
local function scaled(a, b)
  local ai, af = parts(a)
  local bi, bf = parts(b)
  local scale = math.max(#af, #bf)
  if #ai + scale > 15 or #bi + scale > 15 then return nil end
  return tonumber(ai .. af) * 10 ^ (scale - #af), tonumber(bi .. bf) * 10 ^ (scale - #bf), scale
end

-- A non-negative integer below 2^53 written with `scale` fraction digits.
local function place_scaled(n, scale)
  local digits = string.format('%.0f', n)
  if scale == 0 then return digits end
  if #digits <= scale then digits = string.rep('0', scale + 1 - #digits) .. digits end
  return string.sub(digits, 1, #digits - scale) .. '.' .. string.sub(digits, #digits - scale + 1)
end

local function add(a, b)
  local x, y, scale = scaled(a, b)
  if x then return place_scaled(x + y, scale) end
  x, y, scale = align(a, b)
  return place_point(chunked(x, y, 1), scale)
end

-- a - b, signed.
local function sub(a, b)
  local x, y, scale = scaled(a, b)
  if x then
    if x >= y then return place_scaled(x - y, scale) end
    return '-' .. place_scaled(y - x, scale)
  end
  x, y, scale = align(a, b)
  if not byte_less(x, y) then return place_point(chunked(x, y, -1), scale) end
  return '-' .. place_point(chunked(y, x, -1), scale)
end

-- Validated strings hold no control characters: only " and \ need escaping.
local function quote(s)
  return '"' .. string.gsub(s, '[\\"]', '\\%0') .. '"'
end

-- Renders a summary hash (HGETALL reply) as {"count":n,"totals":[...]}.
local function render(flat)
  local count = '0'
  local units, pos, neg = {}, {}, {}
  for i = 1, #flat, 2 do
    local field, value = flat[i], flat[i + 1]
    if field == 'count' then
      count = value
    else
      local unit = string.sub(field, 3)
      if pos[unit] == nil and neg[unit] == nil then units[#units + 1] = unit end
      if string.sub(field, 1, 2) == 'p:' then pos[unit] = value else neg[unit] = value end
    end
  end
  table.sort(units, byte_less)
  local totals = {}
  for i, unit in ipairs(units) do
    local p, n = pos[unit] or '0', neg[unit] or '0'
    totals[i] = '{"unit":' .. quote(unit) .. ',"positive":"' .. p .. '","negative":"' .. n ..
      '","net":"' .. sub(p, n) .. '"}'
  end
  return '{"count":' .. count .. ',"totals":[' .. table.concat(totals, ',') .. ']}'
end

-- Redis keeps the writes a Function made before an error, so everything
-- that can fail (a key of the wrong type, a malformed stored total) is read
-- and computed first; the writes come after and cannot fail. Atomic apply
-- depends on this order.
local function apply(keys, args)
  local base, ref_key, log_key, claims = keys[1], keys[2], keys[3], keys[4]
  local record_id, fingerprint = args[1], args[2]
  local bucket_seconds, buckets = tonumber(args[10]), tonumber(args[11])
  local record_time, ahead = tonumber(args[12]), tonumber(args[13])
  local now = tonumber(redis.call('TIME')[1])
  local window = bucket_seconds * (buckets - 1)
  local pending_key = base .. ':pending'

  -- A pending outcome (applied, never confirmed) does not expire, unlike
  -- the claims: checking it first keeps a late redelivery from applying a
  -- record twice. It starts with the record's 16-digit fingerprint.
  local pending = redis.call('HGET', pending_key, record_id)
  if pending then
    if string.sub(pending, 1, 16) ~= fingerprint then
      redis.call('HINCRBY', base .. ':stats', 'conflicts', 1)
      return {'conflict'}
    end
    return {'pending', string.sub(pending, 17)}
  end
  -- A claim lives in the bucket of max(its record's time, when it was
  -- applied): for any record still inside the window that is one of these.
  local newest = math.floor((now + ahead) / bucket_seconds)
  local oldest = math.floor((now - window) / bucket_seconds)
  for bucket = newest, oldest, -1 do
    local seen = redis.call('HGET', claims .. ':' .. bucket, record_id)
    if seen then
      if seen ~= fingerprint then
        redis.call('HINCRBY', base .. ':stats', 'conflicts', 1)
        return {'conflict'}
      end
      return {'duplicate'}
    end
  end
  if record_time < now - window then return {'outside-window', 'old'} end
  if record_time > now + ahead then return {'outside-window', 'future'} end

  -- Reads and computations (each fails before any write).
  local rtype, value, unit, reference = args[3], args[4], args[5], args[6]
  local field = (rtype == 'positive' and 'p:' or 'n:') .. unit
  local sum_key, refs_key = base .. ':sum', base .. ':refs'
  local ref_flat = redis.call('HGETALL', ref_key)
  local sum = redis.call('HMGET', sum_key, 'count', field)
  local ref_count, ref_old = 0, nil
  for i = 1, #ref_flat, 2 do
    if ref_flat[i] == 'count' then ref_count = tonumber(ref_flat[i + 1])
    elseif ref_flat[i] == field then ref_old = ref_flat[i + 1] end
  end
  local sum_count = tonumber(sum[1]) or 0
  if ref_count == nil then return redis.error_reply('malformed count in ' .. ref_key) end
  -- The references set is written only for a reference's first record;
  -- only then is it read first, so a key of the wrong type fails here.
  if ref_count == 0 then redis.call('SISMEMBER', refs_key, reference) end
  local ref_new = ref_old and add(ref_old, value) or value
  local sum_new = sum[2] and add(sum[2], value) or value
  local record = args[9]
  local alert = ''
  if args[8] ~= '' then alert = '{"record":' .. record .. ',"threshold":"' .. args[8] .. '"}' end
  local outcome = '{"record":' .. record .. args[7] .. render(ref_flat) .. '}}\n' .. alert

  -- Writes. XADD comes first: it is the one write whose key was not read
  -- above (a log key of another type fails it), and failing first it
  -- leaves nothing behind; the others cannot fail after the reads.
  redis.call('XADD', log_key, '*', 'record', record)
  redis.call('HSET', ref_key, 'count', ref_count + 1, field, ref_new)
  if ref_count == 0 then redis.call('SADD', refs_key, reference) end
  redis.call('HSET', sum_key, 'count', sum_count + 1, field, sum_new)
  local claim_bucket = math.floor(math.max(record_time, now) / bucket_seconds)
  local ids_key = claims .. ':' .. claim_bucket
  redis.call('HSET', ids_key, record_id, fingerprint)
  redis.call('EXPIREAT', ids_key, (claim_bucket + 1) * bucket_seconds + window + 1)
  redis.call('HSET', pending_key, record_id, fingerprint .. outcome)
  return {'applied', outcome}
end

-- Exposed for tests of the arithmetic: tally_decimal('add'|'sub', a, b).
local function decimal(keys, args)
  if args[1] == 'add' then return add(args[2], args[3]) end
  return sub(args[2], args[3])
end

redis.register_function('tally_apply_v3', apply)
redis.register_function{function_name = 'tally_decimal_v3', callback = decimal, flags = {'no-writes'}}
