#!/usr/bin/env python3
"""Differential check of the tally module (TALLY.APPLY_V4 / TALLY.FORGET_V4)
against the Function it replaces (tally_v4.lua: tally_apply_v4 /
tally_forget_v4), the specification.

  redis-module-diff.py --module PATH.so --lua PATH/tally_v4.lua [--seed N] [--records N] [--quick] [--port P]

Starts its own scratch servers on ports P.. P+5 (default 17950): L, the
Function's master, and M, the module's master, each with a replica, all
loading the module and the library (AOF on, appendfsync always). Feeds both
the same seeded batches (the input generator `World` of
scripts/redis-function-diff.py, imported): L through FCALL, M through the
module, and, as the worker does, through FCALL when the module answers an
error starting TALLYLUA. Covers duplicates in and across batches, conflicts,
producer duplicates, records outside the window and ahead of it, scales
0-18, totals crossing 10^15, decimal-text amounts, thresholds, forgets (with
and without fingerprints) between batches, long keys (destination,
reference, recordId of 300 bytes), wrong-type keys planted (reference
summary, destination summary, references set, stats hash under a conflict,
a claim that is a hash, the log; a log whose IDs are used up), the log unbatched (an unregistered
consumer group) and batched, a malformed stored count and a key in two roles (TALLYLUA expected),
empty calls, a Redis not on layout 4 (TRYAGAIN, the Function's words), dedup settings past
2^53 seconds and a forget's expiry before the epoch (TALLYLUA expected),
the layout 3 window (TALLYLUA expected), batches over 1000 records. Then
every key of L and M (type, value, hash fields in order, set members,
stream entries without IDs, expiry present or not), DEBUG DIGEST of each
master and its replica, and of M and a server reloading M's AOF. Last, in
one process (a hashtable's field order depends on its process's hash
seed), summaries of more than 128 fields with fields over 64 bytes
(hashtable encoding): Function and module on twin key prefixes, replies and
hashes compared byte for byte.

Replies are compared exactly, whole-call errors included.
Exits 1 with a message at the first difference.
"""
import argparse, importlib.util, os, random, shutil, subprocess, sys, tempfile, time

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, SCRIPTS)
from redis_resp import Redis  # noqa: E402

spec = importlib.util.spec_from_file_location('function_diff', os.path.join(SCRIPTS, 'redis-function-diff.py'))
fd = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fd)
PREFIX, BUCKET_SECONDS, BUCKETS, AHEAD, KEEP = fd.PREFIX, fd.BUCKET_SECONDS, fd.BUCKETS, fd.AHEAD, fd.KEEP
Err = fd.Err
LAYOUT, LOG = PREFIX + ':layout', PREFIX + ':log'
STATS = {'calls': 0, 'records': 0, 'fallbacks': 0, 'statuses': {}}


def die(what, a=None, b=None):
    fd.fail(what, a, b, names=('lua   ', 'module'))


def start(port, data, module, replicaof=None):
    try:
        Redis(port, error=Err)
        die('port %d is in use: another redis-module-diff.py run, or a server of something else (--port)' % port)
    except OSError:
        pass
    os.makedirs(data, exist_ok=True)
    cmd = ['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--dir', data, '--save', '',
           '--appendonly', 'yes', '--appendfsync', 'always', '--logfile', data + '/redis.log',
           '--loadmodule', module, '--enable-debug-command', 'yes']
    if replicaof:
        cmd += ['--replicaof', '127.0.0.1', str(replicaof)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if proc.poll() is not None:
            die('redis-server on port %d exited at start (see %s/redis.log)' % (port, data))
        try:
            r = Redis(port, error=Err)
            if r('PING') == b'PONG':
                return proc, r
        except OSError:
            time.sleep(0.05)
    die('redis-server on port %d did not start (see %s/redis.log)' % (port, data))


class Pair:
    def __init__(self, lua, mod):
        self.lua, self.mod = lua, mod

    def both(self, *args):
        return self.lua(*args), self.mod(*args)

    def call(self, lua_args, mod_args, what, expect_refusal=False):
        """The Function on L; the module on M, then FCALL there if it refuses (as the worker does)."""
        a = self.lua(*lua_args)
        b = self.mod(*mod_args)
        STATS['calls'] += 1
        refused = isinstance(b, Err) and b.startswith('TALLYLUA ')
        if expect_refusal and not refused:
            die('%s: the module should have refused with TALLYLUA (it answered %r)' % (what, b if not isinstance(b, list) else b[:8]), a, b)
        if refused:
            STATS['fallbacks'] += 1
            b = self.mod(*lua_args)
        if isinstance(a, Err) or isinstance(b, Err):
            if not (isinstance(a, Err) and isinstance(b, Err) and a == b):
                die('reply of %s (whole-call error)' % what, a, b)
        elif a != b:
            die('reply of %s' % what, a, b)
        if isinstance(a, list):
            for i in range(0, len(a), 2):
                STATS['statuses'][a[i]] = STATS['statuses'].get(a[i], 0) + 1
        return a, refused


def apply_args(head, batch, layout=LAYOUT, log=LOG, prefix=PREFIX):
    args = head + ['2', layout, log, BUCKET_SECONDS, BUCKETS, AHEAD, prefix, len(batch)]
    for r in batch:
        args += r
    return args


def apply(pair, batch, what, expect_refusal=False, **kw):
    STATS['records'] += len(batch)
    return pair.call(apply_args(['FCALL', 'tally_apply_v4'], batch, **kw),
                     apply_args(['TALLY.APPLY_V4'], batch, **kw), what, expect_refusal)


def forget(pair, rnd, records, what, layout=LAYOUT, prefix=PREFIX):
    tail = [KEEP, prefix]
    for r in records:
        tail += [r[0], r[2], r[1] if rnd.random() < 0.6 else '']
    return pair.call(['FCALL', 'tally_forget_v4', '1', layout] + tail, ['TALLY.FORGET_V4', '1', layout] + tail, what)


def compare_keyspaces(pair, when):
    a, b = fd.keyspace(pair.lua), fd.keyspace(pair.mod)
    if sorted(a) != sorted(b):
        die('keys %s: only lua %r, only module %r' % (when, sorted(set(a) - set(b))[:5], sorted(set(b) - set(a))[:5]))
    for key in a:
        (ka, va, ea), (kb, vb, eb) = a[key], b[key]
        if ka != kb or va != vb:
            die('key %r %s' % (key, when), (ka, va), (kb, vb))
        if (ea < 0) != (eb < 0) or (ea < 0 and ea != eb) or abs(ea - eb) > 3:
            die('expiry of %r %s' % (key, when), ea, eb)
    return len(a)


def digest_same(master, replica, what):
    master('WAIT', 1, 5000)
    for _ in range(100):
        if master('DEBUG', 'DIGEST') == replica('DEBUG', 'DIGEST'):
            return
        time.sleep(0.05)
    die('DEBUG DIGEST of %s' % what, master('DEBUG', 'DIGEST'), replica('DEBUG', 'DIGEST'))


def long_world(world, rnd):
    """Some long destinations, references and recordIds (300 bytes: key names, not fields)."""
    world.dests += ['long-' + 'd' * 295]
    world.refs += ['long-' + 'r' * 295]
    orig = world.record

    def record(record_id=None, fingerprint=None, time_kind=None):
        if record_id is None and rnd.random() < 0.03:
            world.serial += 1
            record_id = 'long-%06d-' % world.serial + 'i' * 288
        return orig(record_id, fingerprint, time_kind)
    world.record = record


def scenario(pair, seed, records, quick):
    rnd = random.Random(seed)
    now = int(time.time())
    world = fd.World(rnd, now)
    long_world(world, rnd)
    fed, batch_no, previous = 0, 0, []
    planted, grouped = 0, False
    while fed < records:
        batch_no += 1
        world.now = int(time.time())     # records dated 10 s or more inside / outside the window's edges, at any run's length
        size = rnd.choice([1, 2, 7, 40, 80] if quick else [1, 2, 7, 40, 120, 300]) if not (batch_no == 5 and not quick) else 1100
        size = min(size, records - fed) or 1
        batch = world.batch(size)
        phase = fed * 3 // records
        if phase == 1 and not grouped:
            grouped = True
            pair.both('XGROUP', 'CREATE', LOG, 'old-agg', '$', 'MKSTREAM')       # unregistered: one entry per record
        if phase == 2:
            pair.both('HSET', LAYOUT, 'reader:old-agg', '1')                      # registered: batched again
        kind = batch_no % 8
        if kind == 3:
            # Wrong-type keys planted for fresh destinations / references / ids.
            planted += 1
            d = 'wt-%d' % planted
            base = world.base(d)
            pair.both('SET', base + ':sum', 'not a hash')
            r1 = world.record(); r1[2] = base; batch.append(r1)
            r1b = world.record(); r1b[2] = base; batch.append(r1b)
            d2 = world.base('wt2-%d' % planted)
            pair.both('SET', d2 + ':ref:x', 'not a hash')
            r2 = world.record(); r2[2], r2[3] = d2, 'x'; batch.append(r2)
            d3 = world.base('wt3-%d' % planted)
            pair.both('SET', d3 + ':refs', 'not a set')
            r3 = world.record(time_kind='in'); r3[2] = d3; batch.append(r3)
            d4 = world.base('wt4-%d' % planted)
            pair.both('SET', d4 + ':stats', 'not a hash')
            r4 = world.record(time_kind='in'); r4[2] = d4
            pair.both('SET', PREFIX + ':c:' + r4[0], '%016x' % rnd.getrandbits(64))   # its claim: another fingerprint
            batch.append(r4)
            r5 = world.record(time_kind='in')
            pair.both('HSET', PREFIX + ':c:' + r5[0], 'f', 'v')                     # a claim that is a hash
            batch.append(r5)
            rnd.shuffle(batch)
        what = 'batch %d (%d records, seed %d)' % (batch_no, len(batch), seed)
        apply(pair, batch, what)
        if kind == 4:
            # A key in two roles (a conflict's stats hash is another record's reference summary): TALLYLUA.
            b2 = world.base('col-%d' % batch_no)
            y = world.record(time_kind='in'); y[2] = b2 + ':ref:k'
            pair.both('SET', PREFIX + ':c:' + y[0], '%016x' % rnd.getrandbits(64))
            x = world.record(time_kind='in'); x[2], x[3] = b2, 'k:stats'
            y[9] = x[9] = str(int(time.time()) - 60)   # inside the window however long the run has taken
            apply(pair, [y, x], what + ' key in two roles', expect_refusal=True)
            # Empty calls, and a Redis not on layout 4 (TRYAGAIN).
            apply(pair, [], what + ' empty')
            forget(pair, rnd, [], what + ' empty forget')
            pair.both('HSET', LAYOUT, 'version', '3')
            apply(pair, world.batch(3), what + ' layout 3')
            pair.both('HDEL', LAYOUT, 'version')
            apply(pair, world.batch(2), what + ' no layout version')
            pair.both('HSET', LAYOUT, 'version', '4')
            # Dedup settings past 2^53 seconds, and an expiry before the epoch: TALLYLUA.
            odd = world.batch(2)
            pair.call(['FCALL', 'tally_apply_v4', '2', LAYOUT, LOG, '8589934592', '2147483649', AHEAD, PREFIX, len(odd)] + sum(odd, []),
                      ['TALLY.APPLY_V4', '2', LAYOUT, LOG, '8589934592', '2147483649', AHEAD, PREFIX, len(odd)] + sum(odd, []),
                      what + ' dedup past 2^53', expect_refusal=True)
            STATS['records'] += len(odd)
            if previous:
                tail = ['-2000000000', PREFIX] + sum(([r[0], r[2], r[1]] for r in previous[:3]), [])
                pair.call(['FCALL', 'tally_forget_v4', '1', LAYOUT] + tail, ['TALLY.FORGET_V4', '1', LAYOUT] + tail,
                          what + ' forget with an expiry before the epoch', expect_refusal=True)
        if kind == 5:
            # A stored count Lua reads as a number the module does not parse: TALLYLUA.
            base = world.base('odd-%d' % batch_no)
            pair.both('HSET', base + ':sum', 'count', '1e3', 'P:kWh', '5')
            r = world.record(time_kind='in'); r[2], r[4], r[5], r[6], r[7] = base, 'P:kWh', 'Ps:kWh', '0', '7'
            r[9] = str(int(time.time()) - 60)
            apply(pair, [world.record(), r], what + ' malformed count', expect_refusal=True)
        if kind == 6:
            # The layout 3 window: claims of layout 3 still looked up.
            pair.both('HSET', LAYOUT, 'v3-switched-at', str(int(time.time())))
            apply(pair, world.batch(5), what + ' layout 3 window', expect_refusal=True)
            pair.both('HDEL', LAYOUT, 'v3-switched-at')
        if kind == 7:
            # The log of another type while batched: TRYAGAIN (or failed records when unbatched).
            saved = phase
            pair.both('RENAME', LOG, LOG + ':saved') if pair.lua('EXISTS', LOG) else None
            pair.both('SET', LOG, 'not a stream')
            apply(pair, world.batch(3), what + ' log of another type')
            pair.both('DEL', LOG)
            # A log whose IDs are used up: batched, TRYAGAIN; unbatched, each record fails (module: TALLYLUA).
            pair.both('XADD', LOG, '18446744073709551615-18446744073709551615', 'x', 'y')
            apply(pair, [world.record(time_kind='in')], what + ' log IDs used up, batched')
            pair.both('HDEL', LAYOUT, 'log')
            apply(pair, [world.record(time_kind='in')], what + ' log IDs used up, unbatched', expect_refusal=True)
            pair.both('HSET', LAYOUT, 'log', 'batches')
            pair.both('DEL', LOG)
            if pair.lua('EXISTS', LOG + ':saved'):
                pair.both('RENAME', LOG + ':saved', LOG)
            del saved
        if previous and rnd.random() < 0.7:
            forget(pair, rnd, previous + [world.again() for _ in range(2)], what + ' forget')
        previous = batch
        fed += len(batch)
        if batch_no % 10 == 0:
            compare_keyspaces(pair, 'after ' + what)
    return compare_keyspaces(pair, 'at the end of seed %d' % seed)


def hashtable_check(redis, seed, quick):
    """One process: Function on prefix hl, module on hm; summaries with fields over 64 bytes and > 128 fields."""
    rnd = random.Random(seed)
    now = int(time.time())
    for p in ('hl', 'hm'):
        redis('FCALL', 'tally_layout_v4', '2', p + ':layout', p + ':log')
    units = ['u%02d-' % i + 'x' * rnd.choice([3, 70]) for i in range(45)]
    n = 0
    for b in range(4 if quick else 10):
        batch = []
        for _ in range(60):
            n += 1
            unit, sign = rnd.choice(units), rnd.choice('PN')
            scale = rnd.randrange(0, 6)
            sig = rnd.randrange(1, 10 ** rnd.randrange(1, 16))
            d, r = 'd%d' % rnd.randrange(3), 'r%d' % rnd.randrange(3)
            js = '{"recordId":"h%d","u":"%s"}' % (n, unit)
            batch.append(['h%d' % n, '%016x' % rnd.getrandbits(64), None, r, sign + ':' + unit, sign + 's:' + unit,
                          str(scale), str(sig), rnd.choice(['', '5']), str(now - 100), js, '1'])
            if rnd.random() < 0.1:
                batch.append(list(batch[rnd.randrange(len(batch))]))
        replies = []
        for p, head in (('hl', ['FCALL', 'tally_apply_v4']), ('hm', ['TALLY.APPLY_V4'])):
            rows = [row[:2] + ['%s:{%s}' % (p, row[3])] + row[3:] for row in batch]
            replies.append(redis(*apply_args(head, rows, p + ':layout', p + ':log', p)))
        STATS['calls'] += 1
        STATS['records'] += len(batch)
        if replies[0] != replies[1]:
            die('hashtable summaries, batch %d (same process)' % b, replies[0], replies[1])
    keys = sorted(k for k in redis('KEYS', 'hl:*'))
    encodings = set()
    for k in keys:
        twin = b'hm' + k[2:]
        kind = redis('TYPE', k)
        if kind == b'hash':
            encodings.add(redis('OBJECT', 'ENCODING', k))
            if redis('HGETALL', k) != redis('HGETALL', twin):
                die('hash %r vs %r (same process)' % (k, twin), redis('HGETALL', k), redis('HGETALL', twin))
        elif kind == b'string':
            if redis('GET', k) != redis('GET', twin):
                die('string %r' % k, redis('GET', k), redis('GET', twin))
    if b'hashtable' not in encodings:
        die('hashtable check made no hashtable-encoded summary')
    for k in redis('KEYS', 'h[lm]:*'):
        redis('DEL', k)
    return len(keys)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--module', required=True)
    ap.add_argument('--lua', required=True)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--records', type=int, default=None)
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--port', type=int, default=17950)
    o = ap.parse_args()
    records = o.records or (1500 if o.quick else 20000)
    module = os.path.abspath(o.module)
    src = open(o.lua).read()
    t0 = time.time()
    data = tempfile.mkdtemp(prefix='tally-module-diff-')
    procs = []
    try:
        lp, lua = start(o.port, data + '/L', module); procs.append(lp)
        mp, mod = start(o.port + 2, data + '/M', module); procs.append(mp)
        lrp, lua_rep = start(o.port + 1, data + '/L-replica', module, o.port); procs.append(lrp)
        mrp, mod_rep = start(o.port + 3, data + '/M-replica', module, o.port + 2); procs.append(mrp)
        for r in (lua, mod):
            if isinstance(r('FUNCTION', 'LOAD', 'REPLACE', src), Err):
                die('FUNCTION LOAD failed')
            r('FCALL', 'tally_layout_v4', '2', LAYOUT, LOG)
        for _ in range(200):
            if b'master_link_status:up' in lua_rep('INFO', 'replication') and \
                    b'master_link_status:up' in mod_rep('INFO', 'replication'):
                break
            time.sleep(0.05)
        pair = Pair(lua, mod)
        keys = scenario(pair, o.seed, records, o.quick)
        digest_same(lua, lua_rep, 'the Function\'s master and replica')
        digest_same(mod, mod_rep, 'the module\'s master and replica')
        # M's AOF, reloaded by a fresh server, ends as M.
        shutil.copytree(data + '/M/appendonlydir', data + '/M-aof/appendonlydir')
        ap_, aof = start(o.port + 4, data + '/M-aof', module); procs.append(ap_)
        if aof('DEBUG', 'DIGEST') != mod('DEBUG', 'DIGEST'):
            die('DEBUG DIGEST of the module\'s master and its AOF reloaded', mod('DEBUG', 'DIGEST'), aof('DEBUG', 'DIGEST'))
        hkeys = hashtable_check(mod, o.seed, o.quick)
        digest_same(mod, mod_rep, 'the module\'s master and replica after the hashtable check')
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        shutil.rmtree(data, ignore_errors=True)
    print('same: seed %d, %d calls, %d records (%d refused with TALLYLUA and sent through FCALL), %d keys; '
          '%d hashtable-check keys; digests equal (masters, replicas, AOF reload); %.1f s' %
          (o.seed, STATS['calls'], STATS['records'], STATS['fallbacks'], keys, hkeys, time.time() - t0))
    print('statuses: ' + ', '.join('%s %d' % (k.decode(), v) for k, v in sorted(STATS['statuses'].items())))


if __name__ == '__main__':
    main()
