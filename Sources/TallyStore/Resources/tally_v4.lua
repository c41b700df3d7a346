#!lua name=tally_v4

-- tally's Redis Function library, version 4: layout 4 (docs/architecture.md,
-- "Redis layout 4"). Loaded by every worker with FUNCTION LOAD REPLACE at
-- start and whenever Redis answers that a function is missing. This file
-- is the source of truth; the worker bundles it (TallyFunctionLibrary.swift).
--
-- Version 3 spent ~50 µs of Redis CPU per record, most of it in Lua:
-- decimal strings added digit by digit, the previous summary rendered as
-- JSON, nine claim buckets looked up. Version 4 does as little Lua as it
-- can per record:
--   * one call applies a whole batch (tally_apply_v4), one forgets a
--     batch's confirmed outcomes (tally_forget_v4);
--   * a claim is one string key per recordId, <prefix>:c:<recordId>,
--     holding the 16-hex fingerprint, then, while the outcome is not yet
--     confirmed, what re-renders it; it expires only once forgotten;
--   * totals are integers: field <P|N>:<unit> holds the sum of the amounts'
--     significands at the scale in <P|N>s:<unit> (see updates), exact in a
--     Lua double while below 2^53 (a sum is kept below 10^15 + 10^15); a
--     total that would pass 10^15 is moved into the exact decimal-string
--     field p:<unit> / n:<unit> (version 3's fields, kept as they are), as
--     is an amount the worker sends as a decimal because its significand
--     has more than 15 digits;
--   * the previous summary is returned raw and rendered by the worker.
--
-- The layout hash <prefix>:layout says which layout this Redis holds:
-- `version` 4; after a switch from layout 3, `v3-switched-at` (epoch
-- seconds: layout 3's claims are looked up until they have all expired)
-- and `v3-pending` ("migrating" until `tally store upgrade` has moved layout
-- 3's pending outcomes into claims): then each record is also looked up
-- where layout 3 kept it. `log` `batches` (set on an empty Redis and by
-- `tally store upgrade`): each call appends ONE log entry, field `records`,
-- holding every record it applied, while every consumer group of the log
-- is registered as reading them (`reader:<group>`); otherwise one entry
-- per record, field `record`, the only kind the previous release's
-- aggregators read.

-- Exact decimal arithmetic on plain non-negative decimal strings ("12.50"),
-- for the rare amounts and totals that do not fit the integer fields.
-- Copied from tally_v3.lua, which is frozen: it stays only for Redis
-- instances still on layout 3.
local function parts(s)
  local i, f = string.match(s, '^(%d+)%.?(%d*)$')
  if i == nil then error('not a plain non-negative decimal: ' .. tostring(s)) end
  return i, f
end

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

-- x + y over aligned digit strings, 7 digits at a time (exact in a double).
local function chunked_sum(x, y)
  local out = {}
  local carry = 0
  local pos = #x
  while pos > 0 do
    local start = math.max(1, pos - 6)
    local width = pos - start + 1
    local limit = 10 ^ width
    local s = tonumber(string.sub(x, start, pos)) + tonumber(string.sub(y, start, pos)) + carry
    if s >= limit then s = s - limit; carry = 1 else carry = 0 end
    out[#out + 1] = string.format('%0' .. width .. 'd', s)
    pos = start - 1
  end
  local digits = {}
  if carry == 1 then digits[1] = '1' end
  for i = #out, 1, -1 do digits[#digits + 1] = out[i] end
  return table.concat(digits)
end

local function add(a, b)
  local x, y, scale = align(a, b)
  return place_point(chunked_sum(x, y), scale)
end

-- The non-negative integer n (below 2^53) written with `scale` fraction digits.
local function place_scaled(n, scale)
  local digits = string.format('%.0f', n)
  if scale == 0 then return digits end
  if #digits <= scale then digits = string.rep('0', scale + 1 - #digits) .. digits end
  return string.sub(digits, 1, #digits - scale) .. '.' .. string.sub(digits, #digits - scale + 1)
end

-- An integer total at or above this moves into the exact field; below it,
-- adding an amount below it (the worker sends no larger mantissa) stays
-- below 2^53 and so exact in a double.
local INTEGER_LIMIT = 1e15

-- A summary hash as one call keeps it: `flat`, what HGETALL gave when it
-- was first needed, and `changed` (field -> value), what the call's records
-- have changed since, written back at the end; or `error` when it could
-- not be read. No map of the whole hash is built: most summaries are
-- touched once per call, and a lookup in `flat` compares interned strings.
local function summary(ctx, key)
  local entry = ctx.summaries[key]
  if entry then
    if entry.error then error(entry.error) end
    return entry
  end
  local flat = redis.pcall('HGETALL', key)  -- the error pcall(redis.call) gave, without a pcall
  if flat.err then
    entry = {error = flat.err}
    ctx.summaries[key] = entry
    error(entry.error)
  end
  -- Every field an entry gets, in its constructor: one allocation.
  entry = {key = key, flat = flat, changed = {}, unchanged = true, raw = false, had_count = false}
  ctx.summaries[key] = entry
  ctx.summary_order[#ctx.summary_order + 1] = entry
  return entry
end

-- A field's current value in a summary, or nil (a string, or a number
-- `kept` kept).
local function value_of(entry, field)
  local value = entry.changed[field]
  if value then return value end
  local flat = entry.flat
  for i = 1, #flat, 2 do
    if flat[i] == field then return flat[i + 1] end
  end
  return nil
end

-- The count, integer total and scale a record reads in a summary, in one
-- pass over `flat` (not three value_of) that stops once all three are
-- known. Notes whether the summary had a count: if not, the reference is new.
local function current(entry, field, scale_field)
  local changed = entry.changed
  local count, total, scale = changed.count, changed[field], changed[scale_field]
  if count == nil or total == nil or scale == nil then
    local flat = entry.flat
    for i = 1, #flat, 2 do  -- a hash's fields are distinct; `changed` comes first
      local f = flat[i]
      if f == 'count' then count = count or flat[i + 1] elseif f == field then total = total or flat[i + 1]
      elseif f == scale_field then scale = scale or flat[i + 1] end
      if count and total and scale then break end
    end
  end
  entry.had_count = count ~= nil
  return count, total, scale
end

-- The exact field of an integer total's sign and unit: P:kWh -> p:kWh.
local function exact_field_of(field)
  return (string.sub(field, 1, 1) == 'P' and 'p' or 'n') .. string.sub(field, 2)
end

-- A non-negative integer below 2^53 read from a stored field ('' or
-- absent: 0); raises on anything else, before the record writes anything.
local function stored_integer(field, text)
  if text == nil then return 0 end
  local n = tonumber(text)
  if n == nil or n < 0 or n ~= math.floor(n) or n >= 2 ^ 53 then
    error('malformed ' .. field .. ' = ' .. text)
  end
  return n
end

-- 10^n for the scale differences amounts have: a lookup, not a pow() (both
-- exact: 10^22 is the last power of ten a double holds exactly); a scale's
-- text read by a lookup too, not by tonumber (strtod, twice).
local POW10, SCALE_OF = {[0] = 1}, {['0'] = 0}
for n = 1, 22 do POW10[n], SCALE_OF[n .. ''] = POW10[n - 1] * 10, n end  -- no string library while loading
local kept, text -- defined below, beside `commit`, which writes what they keep

-- The fields a record changes in a summary, computed without changing it:
-- up to four field, value pairs after the count (the integer total, its
-- scale when it grows, the exact total when something goes there).
-- Raises on a malformed stored value, before anything of the record is
-- written. The amount's scale and significand come parsed, once for both
-- summaries; the count and the total are kept as numbers (`kept`).
local function updates(entry, field, scale_field, scale, amount, amount_scale, significand)
  local stored_count, stored_total, stored_scale = current(entry, field, scale_field)
  local count = tonumber(stored_count or 0)
  if count == nil then error('malformed count ' .. tostring(stored_count)) end
  count = kept(count + 1, '%d')
  if scale == '' then
    local exact = exact_field_of(field)
    return count, exact, add(value_of(entry, exact) or '0', amount)
  end
  -- An integer total <P|N>:<unit> is the sum of its amounts' significands at
  -- the scale in <P|N>s:<unit> (absent: 0), which is the largest scale of
  -- those amounts, as an exact sum's is. An amount of a larger scale first
  -- rescales the total; one of a smaller scale is rescaled to it. Whatever
  -- would reach 10^15 (a total, a rescaled amount) goes to the exact decimal
  -- field instead, so that every integer stays exact in a double.
  local total = stored_integer(field, stored_total)
  local total_scale = SCALE_OF[stored_scale] or stored_integer(scale_field, stored_scale)
  local exact_field, exact = nil, nil
  local new_scale = nil
  if amount_scale > total_scale then
    local factor = POW10[amount_scale - total_scale] or 10 ^ (amount_scale - total_scale)
    if total * factor >= INTEGER_LIMIT then
      exact_field = exact_field_of(field)
      exact = add(value_of(entry, exact_field) or '0', place_scaled(total, total_scale))
      total = 0
    else
      total = total * factor
    end
    new_scale = scale
    total_scale = amount_scale
  elseif amount_scale < total_scale then
    local factor = POW10[total_scale - amount_scale] or 10 ^ (total_scale - amount_scale)
    if significand * factor >= INTEGER_LIMIT then
      -- Too wide once rescaled: this amount goes to the exact field alone.
      exact_field = exact_field_of(field)
      return count, exact_field, add(value_of(entry, exact_field) or '0', place_scaled(significand, amount_scale))
    end
    significand = significand * factor
  end
  if total >= INTEGER_LIMIT then
    exact_field = exact_field_of(field)
    exact = add(exact or value_of(entry, exact_field) or '0', place_scaled(total, total_scale))
    total = 0
  end
  local value = kept(total + significand, '%.0f')
  if new_scale then
    return count, field, value, scale_field, new_scale, exact_field, exact
  end
  return count, field, value, exact_field, exact
end

-- A count or an integer total as `changed` keeps it: the number itself,
-- rendered ('%d', by `text`) only when the summary is written or read back
-- (a destination's summary is changed by many records of a call: a string
-- made and interned for each would be dropped). Kept as a number only if a
-- positive integer below 2^53, which '%d' prints as `format` ('%d' for a
-- count, '%.0f' for a total, as before) does; anything else is rendered now.
function kept(n, format)
  if n > 0 and n < 9007199254740992 and n % 1 == 0 then return n end
  return string.format(format, n)
end

-- A value of `changed` as Redis stores it.
function text(value)
  if type(value) == 'number' then return string.format('%d', value) end
  return value
end

local function commit(entry, count, field, value, field2, value2, field3, value3)
  local changed = entry.changed
  changed.count = count
  changed[field] = value
  if field2 then changed[field2] = value2 end
  if field3 then changed[field3] = value3 end
  entry.unchanged = false
end

-- The summary as the worker reads it back: fields and values, one per line.
local function raw(entry)
  if entry.unchanged then
    if not entry.raw then entry.raw = table.concat(entry.flat, '\n') end
    return entry.raw
  end
  local out, n, flat, changed = {}, 0, entry.flat, entry.changed
  for i = 1, #flat, 2 do
    if changed[flat[i]] == nil then
      out[n + 1], out[n + 2] = flat[i], flat[i + 1]
      n = n + 2
    end
  end
  for field, value in pairs(changed) do
    out[n + 1], out[n + 2] = field, text(value)
    n = n + 2
  end
  return table.concat(out, '\n')
end

-- A destination's keys, made once per call.
local function keys_of(ctx, base)
  local keys = ctx.keys[base]
  if not keys then
    keys = {sum = base .. ':sum', refs = base .. ':refs', ref = {}}
    ctx.keys[base] = keys
  end
  return keys
end

-- Per record, ARGV holds these, in this order (ApplyBatchCall.swift):
local RECORD_ID, FINGERPRINT, BASE, REFERENCE, FIELD, SCALE_FIELD, SCALE, AMOUNT, THRESHOLD, TIME, RECORD, V3_SHARD =
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
local RECORD_ARGS = 12
-- Keys per MGET / MSET: Lua's unpack is bounded by its C stack.
local CHUNK = 1000

-- Where layout 3 kept a record: its pending outcome (never expiring) and
-- its claim in one of the dedup buckets. Returns a status and what goes
-- with it, 'conflict', or nil when layout 3 has nothing of this record.
local function layout3_lookup(ctx, args, at)
  local record_id, fingerprint, base = args[at + RECORD_ID], args[at + FINGERPRINT], args[at + BASE]
  local pending = redis.call('HGET', base .. ':pending', record_id)
  if pending then
    if string.sub(pending, 1, 16) ~= fingerprint then return 'conflict' end
    return 'pending', fingerprint .. 'R' .. string.sub(pending, 17)
  end
  if ctx.now >= ctx.v3_claims_until then return nil end
  local shard = ctx.prefix .. ':ids:' .. args[at + V3_SHARD] .. ':'
  for _, bucket in ipairs(ctx.v3_buckets) do
    local seen = redis.call('HGET', shard .. bucket, record_id)
    if seen then
      if seen ~= fingerprint then return 'conflict' end
      return 'duplicate', ''
    end
  end
  return nil
end

-- Applies the record whose arguments start at ARGV[at]; `claim` is what
-- its claim key held when the call began, `claim_key` that key. Everything
-- that can fail (a key of the wrong type, a malformed stored total, the
-- log append when the log is not batched) happens before the record
-- changes anything the call writes at the end, so a record that fails
-- leaves nothing behind and its batchmates go on. Returns the status and
-- what goes with it (a record that fails: the error's message, which
-- starts with its place in this file, user_function:<line>:).
local function apply_one(ctx, args, at, claim, claim_key)
  local record_id, fingerprint, base = args[at + RECORD_ID], args[at + FINGERPRINT], args[at + BASE]
  claim = ctx.claimed[record_id] or claim
  local verdict = nil
  if claim then
    if string.sub(claim, 1, 16) ~= fingerprint then
      verdict = 'conflict'
    elseif #claim > 16 then
      return 'pending', claim
    else
      return 'duplicate', ''
    end
  elseif ctx.layout3 then
    local found, stored = layout3_lookup(ctx, args, at)
    if found == 'conflict' then verdict = found elseif found then return found, stored end
  end
  if verdict == 'conflict' then
    redis.call('HINCRBY', base .. ':stats', 'conflicts', 1)
    return 'conflict', ''
  end
  -- TIME and AMOUNT (with a SCALE) are the worker's decimal digits: read
  -- with `+ 0`, one strtod, where tonumber makes two (it checks, then
  -- converts). Anything else would fail the record either way.
  local record_time = args[at + TIME] + 0
  if record_time < ctx.oldest then return 'outside-window', 'old' end
  if record_time > ctx.newest then return 'outside-window', 'future' end

  local reference = args[at + REFERENCE]
  local keys = keys_of(ctx, base)
  local ref_key = keys.ref[reference]
  if not ref_key then
    ref_key = base .. ':ref:' .. reference
    keys.ref[reference] = ref_key
  end
  local ref = summary(ctx, ref_key)
  local sum = summary(ctx, keys.sum)
  local field, scale_field, scale, amount = args[at + FIELD], args[at + SCALE_FIELD], args[at + SCALE], args[at + AMOUNT]
  -- Parsed once for both summaries (SCALE empty: AMOUNT is a decimal).
  local amount_scale, significand = nil, nil
  if scale ~= '' then amount_scale, significand = SCALE_OF[scale] or tonumber(scale), amount + 0 end
  local rc, rf, rv, rf2, rv2, rf3, rv3 = updates(ref, field, scale_field, scale, amount, amount_scale, significand)
  local sc, sf, sv, sf2, sv2, sf3, sv3 = updates(sum, field, scale_field, scale, amount, amount_scale, significand)
  -- The references set is written only for a reference's first record;
  -- only then is it read first, so a key of the wrong type fails here.
  local first_of_reference = not ref.had_count
  if first_of_reference then redis.call('SISMEMBER', keys.refs, reference) end
  local record = args[at + RECORD]
  local stored = fingerprint .. 'S' .. args[at + THRESHOLD] .. '\n' .. record .. '\n' .. raw(ref)
  if ctx.logged then
    -- A batched log: the record joins the call's one entry (apply).
    ctx.logged[#ctx.logged + 1] = record
  else
    -- The one write made at once, and the last thing that can fail.
    redis.call('XADD', ctx.log_key, '*', 'record', record)
  end

  commit(ref, rc, rf, rv, rf2, rv2, rf3, rv3)
  commit(sum, sc, sf, sv, sf2, sv2, sf3, sv3)
  if first_of_reference then
    local n = #ctx.new_refs
    ctx.new_refs[n + 1] = keys.refs
    ctx.new_refs[n + 2] = reference
  end
  ctx.claimed[record_id] = stored
  -- Counted, not measured: # on a growing table is a binary search.
  local new_claims, n = ctx.new_claims, ctx.claim_count
  new_claims[n + 1] = claim_key
  new_claims[n + 2] = stored
  ctx.claim_count = n + 2
  return 'applied', stored
end

-- Whether every consumer group of the log reads batch entries: each is
-- registered as `reader:<group>` in the layout hash (an aggregator of this
-- release registers its group before creating it; `tally store upgrade`
-- registers those it finds). While one is not — an aggregator of the
-- previous release, which would ack a `records` entry and skip its
-- records — the log stays one entry per record, whatever `log` says.
local function every_reader_reads_batches(layout_key, log_key)
  local groups = redis.pcall('XINFO', 'GROUPS', log_key)
  if groups.err or #groups == 0 then return true end  -- no log, or no reader yet
  local fields = {}
  for i = 1, #groups do
    local group = groups[i]
    for j = 1, #group, 2 do
      if group[j] == 'name' then fields[#fields + 1] = 'reader:' .. group[j + 1] end
    end
  end
  local registered = redis.call('HMGET', layout_key, unpack(fields))
  for i = 1, #fields do
    if not registered[i] then return false end
  end
  return true
end

-- What a call needs besides the records: the clock, the window, and where
-- layout 3 may still hold claims. Fails the whole call (a server-state
-- error: the worker retries the batch) unless this Redis holds layout 4.
local function context(keys, args)
  local layout = redis.call('HMGET', keys[1], 'version', 'v3-switched-at', 'v3-pending', 'log')
  if layout[1] ~= '4' then
    return nil, redis.error_reply('TRYAGAIN this Redis holds tally layout ' .. tostring(layout[1] or 3) ..
      ', not 4; the worker applies with tally_apply_v3 until `tally store upgrade`')
  end
  local bucket_seconds, buckets = tonumber(args[1]), tonumber(args[2])
  local ctx = {
    now = tonumber(redis.call('TIME')[1]),
    window = bucket_seconds * (buckets - 1),
    ahead = tonumber(args[3]),
    prefix = args[4],
    log_key = keys[2],
    -- The applied records' canonical JSON, for the call's one log entry.
    logged = layout[4] == 'batches' and every_reader_reads_batches(keys[1], keys[2]) and {} or nil,
  }
  -- The window's bounds, computed once for every record.
  ctx.oldest, ctx.newest = ctx.now - ctx.window, ctx.now + ctx.ahead
  -- A layout 3 claim lives at most a bucket, the window and how far ahead
  -- a record may be dated past its last write: past that after the
  -- switch, none is left. Computed from this call's own dedup settings,
  -- which are the workers'.
  ctx.v3_claims_until = layout[2] and tonumber(layout[2]) + bucket_seconds * buckets + ctx.ahead + 1 or 0
  ctx.layout3 = layout[3] == 'migrating' or ctx.now < ctx.v3_claims_until
  if ctx.layout3 then
    -- Layout 3's buckets that may hold a claim of a record still inside
    -- the window (tally_v3.lua wrote them), newest first.
    ctx.v3_buckets = {}
    local newest = math.floor((ctx.now + ctx.ahead) / bucket_seconds)
    local oldest = math.floor((ctx.now - ctx.window) / bucket_seconds)
    for bucket = newest, oldest, -1 do ctx.v3_buckets[#ctx.v3_buckets + 1] = string.format('%d', bucket) end
  end
  return ctx
end

-- KEYS: 1 the layout hash, 2 the log stream. ARGV: 1 dedup bucket seconds,
-- 2 dedup buckets (the window is bucket seconds x (buckets - 1)), 3 how far
-- ahead of now a record's time may be, 4 the key prefix, 5 the number of
-- records, then RECORD_ARGS per record (see above; FIELD the integer total
-- the amount adds to, P:<unit> or N:<unit> by its type; SCALE_FIELD that
-- total's scale, Ps:<unit> or Ns:<unit>; SCALE the amount's fraction
-- digits and AMOUNT its significand, or SCALE empty and AMOUNT a plain
-- decimal too long for the integer fields; THRESHOLD the alert
-- threshold crossed or empty; TIME the record's time in whole seconds
-- since the epoch; RECORD its canonical JSON; V3_SHARD its claim shard in
-- layout 3). Returns two elements per record, in order: a status and what
-- goes with it: 'applied' or 'pending' and the stored outcome,
-- 'duplicate' or 'conflict' and '', 'outside-window' and 'old' or
-- 'future', 'failed' and the error (that record alone; nothing of it was
-- written). `stored` is the 16-hex fingerprint, then 'S', the
-- threshold, a newline, the record's canonical JSON as first applied (a
-- producer duplicate may write the same record differently: its outputs
-- are the first one's), a newline and the reference summary's fields and
-- values before the record, newline-separated; or 'R' and the outputs
-- layout 3 stored, rendered (notification, newline, alert).
--
-- Exactly once with no window (docs/architecture.md, "Claims"): a claim
-- outlives its record's window; a record older than the window, or dated
-- further ahead than ARGV 3, is refused, so every duplicate that is
-- accepted finds its original's claim.
local function apply(keys, args)
  local ctx, refusal = context(keys, args)
  if not ctx then return refusal end
  local count = tonumber(args[5])
  ctx.summaries, ctx.summary_order, ctx.keys = {}, {}, {}
  ctx.claimed, ctx.new_claims, ctx.new_refs, ctx.claim_count = {}, {}, {}, 0
  -- Every claim of the batch in one read.
  local claim_keys, claims, claim_prefix = {}, {}, ctx.prefix .. ':c:'
  for from = 0, count - 1, CHUNK do
    local chunk = {}
    for i = from, math.min(from + CHUNK, count) - 1 do
      local key = claim_prefix .. args[6 + i * RECORD_ARGS + RECORD_ID]
      claim_keys[i + 1] = key
      chunk[#chunk + 1] = key
    end
    local found = redis.call('MGET', unpack(chunk))
    for j = 1, #chunk do claims[from + j] = found[j] end
  end
  local replies = {}
  for i = 0, count - 1 do
    local ok, status, detail = pcall(apply_one, ctx, args, 6 + i * RECORD_ARGS, claims[i + 1], claim_keys[i + 1])
    if ok then
      replies[2 * i + 1], replies[2 * i + 2] = status, detail
    else
      replies[2 * i + 1] = 'failed'
      replies[2 * i + 2] = type(status) == 'table' and (status.err or 'error') or tostring(status)
    end
  end
  -- The batch's writes, each key once. A batched log's entry comes first:
  -- it is the one write here that can fail (the log key of another type),
  -- and failing it fails the whole call before anything is written —
  -- TRYAGAIN, a server-state error like a missing Function: the batch is
  -- redelivered. (A conflict's `conflicts` count, made at once, is counted
  -- again then, as for any redelivered batch.) Canonical JSON holds no raw
  -- newline (JSONWriter escapes every control character), so "\n" joins.
  if ctx.logged and #ctx.logged > 0 then
    local ok, failure = pcall(redis.call, 'XADD', ctx.log_key, '*', 'records', table.concat(ctx.logged, '\n'))
    if not ok then
      return redis.error_reply('TRYAGAIN cannot append to the log ' .. ctx.log_key .. ' (' ..
        (type(failure) == 'table' and tostring(failure.err) or tostring(failure)) .. '); no claim, summary or outcome of the batch was written')
    end
  end
  -- None of these can fail after the reads above.
  -- One list of arguments for them all, used up to `n` each time: a table
  -- per summary would be allocated and grown for each.
  local fields = {}
  for _, entry in ipairs(ctx.summary_order) do
    local n = 0
    for field, value in pairs(entry.changed) do
      fields[n + 1], fields[n + 2] = field, text(value)
      n = n + 2
    end
    for from = 1, n, 2 * CHUNK do
      redis.call('HSET', entry.key, unpack(fields, from, math.min(from + 2 * CHUNK, n + 1) - 1))
    end
  end
  for i = 1, #ctx.new_refs, 2 do redis.call('SADD', ctx.new_refs[i], ctx.new_refs[i + 1]) end
  for from = 1, ctx.claim_count, 2 * CHUNK do
    redis.call('MSET', unpack(ctx.new_claims, from, math.min(from + 2 * CHUNK, ctx.claim_count + 1) - 1))
  end
  return replies
end

-- KEYS: 1 the layout hash. ARGV: 1 how long a claim is kept after its
-- outcome is confirmed, in seconds (the dedup window plus how far ahead a
-- record may be dated), 2 the key prefix, then per record its recordId,
-- destination base and fingerprint (empty: read from the claim). Drops
-- the confirmed outcomes, keeping the fingerprint, and starts their
-- claims' expiry. On layout 3, and
-- while `tally store upgrade` moves layout 3's pending outcomes, also
-- removes layout 3's pending outcome: whichever of the two holds it when
-- the forget lands, it is gone after (the worker forgets through this
-- Function on both layouts, so a switch between its apply and its forget
-- changes nothing).
local function forget(keys, args)
  local layout = redis.call('HMGET', keys[1], 'version', 'v3-pending')
  local layout3 = layout[1] ~= '4' or layout[2] == 'migrating'
  local claim_prefix = args[2] .. ':c:'
  -- Rendered once: a number passed to redis.call is printed (%.17g) on
  -- every call.
  local expire_at = string.format('%d', tonumber(redis.call('TIME')[1]) + tonumber(args[1]) + 1)
  for i = 3, #args, 3 do
    local claim_key, fingerprint = claim_prefix .. args[i], args[i + 2]
    if #fingerprint ~= 16 then
      -- Not sent: the claim's own first 16 characters are the fingerprint.
      local claim = redis.call('GET', claim_key)
      fingerprint = claim and string.sub(claim, 1, 16)
    end
    -- XX: a record whose outcome layout 3 holds has no claim here.
    if fingerprint then redis.call('SET', claim_key, fingerprint, 'XX', 'EXAT', expire_at) end
    if layout3 then redis.call('HDEL', args[i + 1] .. ':pending', args[i]) end
  end
  return (#args - 2) / 3
end

-- KEYS: 1 the layout hash, 2 the log stream. Which layout this Redis
-- holds: an empty Redis starts on layout 4 — so a Redis that lost its data
-- must not be written by version 3 workers again (docs/operations.md); one
-- with records applied by tally_v3 and no layout hash is on layout 3 until
-- upgraded. Empty means no record was ever appended to the log: the
-- aggregator creates the stream (empty) when it starts, possibly first.
-- An empty Redis also gets `log batches`: no aggregator of the previous
-- release has a record to read there (one that starts later must not be
-- pointed at it: docs/operations.md, "Batched log entries").
local function layout(keys, args)
  local version = redis.call('HGET', keys[1], 'version')
  if version then return version end
  local empty = redis.call('EXISTS', keys[2]) == 0
  if not empty then
    local info = redis.call('XINFO', 'STREAM', keys[2])
    for i = 1, #info, 2 do
      if info[i] == 'last-generated-id' then empty = info[i + 1] == '0-0' end
    end
  end
  if empty then
    redis.call('HSET', keys[1], 'version', '4', 'log', 'batches')
    return '4'
  end
  return '3'
end

-- KEYS: 1 the layout hash. Switches a layout 3 Redis to layout 4: layout
-- 3's claims are looked up until they have all expired (tally_apply_v4
-- computes when from `v3-switched-at` and its dedup settings), its pending
-- outcomes until `tally store upgrade` has moved them (tally_adopt_v4,
-- then HDEL v3-pending). Also switches the log to one entry per call
-- (`log batches`), on layout 4 too: run once every aggregator reads them.
-- Idempotent. Answers 'upgraded' (layout and log switched), 'log-batched'
-- (on layout 4 already: the log switched) or 'already'.
local function upgrade(keys, args)
  local layout = redis.call('HMGET', keys[1], 'version', 'log')
  if layout[1] == '4' then
    if layout[2] == 'batches' then return 'already' end
    redis.call('HSET', keys[1], 'log', 'batches')
    return 'log-batched'
  end
  local now = redis.call('TIME')[1]
  redis.call('HSET', keys[1], 'version', '4', 'v3-switched-at', now, 'v3-pending', 'migrating', 'log', 'batches')
  return 'upgraded'
end

-- KEYS: 1 a layout 3 pending hash (<prefix>:{d}:pending). ARGV: 1 the key
-- prefix. Moves its outcomes into layout 4 claims ('R': rendered), unless a
-- claim exists already, and deletes the hash. Returns how many moved.
local function adopt(keys, args)
  local flat = redis.call('HGETALL', keys[1])
  local moved = 0
  -- Only a hash of layout 3's pending outcomes: each value a 16-hex
  -- fingerprint and a notification. Anything else is left alone.
  for i = 2, #flat, 2 do
    if not string.match(flat[i], '^' .. string.rep('%x', 16) .. '{') then
      return redis.error_reply('ERR ' .. keys[1] .. ' is not a layout 3 pending hash')
    end
  end
  for i = 1, #flat, 2 do
    local stored = flat[i + 1]
    local claim = string.sub(stored, 1, 16) .. 'R' .. string.sub(stored, 17)
    if redis.call('SET', args[1] .. ':c:' .. flat[i], claim, 'NX') then moved = moved + 1 end
  end
  redis.call('DEL', keys[1])
  return moved
end

-- Exposed for tests of the exact arithmetic: tally_decimal_v4('add', a, b).
local function decimal(keys, args)
  return add(args[2], args[3])
end

redis.register_function('tally_apply_v4', apply)
redis.register_function('tally_forget_v4', forget)
redis.register_function('tally_layout_v4', layout)
redis.register_function('tally_upgrade_v4', upgrade)
redis.register_function('tally_adopt_v4', adopt)
redis.register_function{function_name = 'tally_decimal_v4', callback = decimal, flags = {'no-writes'}}
