#!/usr/bin/env python3
"""Differential check of tally's Redis Function library: runs an OLD and a NEW
tally_v4.lua side by side on two scratch redis-servers (ports 16998 and
16999, no persistence) with identical, seeded random inputs, and compares
every reply byte for byte (but the line numbers in Lua errors) and then the whole keyspace (every key's type,
value — hashes in field order, which later replies expose —, set members,
stream entries with their IDs left out, expiry present or not and within a
few seconds). Use it before changing tally_v4.lua: the new library must be a
drop-in replacement for the old, which workers of the previous release call
by name during a rolling upgrade.

  scripts/redis-function-diff.py [--old FILE] [--new FILE] [--seed N] [--batches N]

--old defaults to tally_v4.lua as committed (git show HEAD:...), --new to
the working tree's: edit, then compare with what was there. Covers: new records, duplicates in a batch and across
batches, conflicts, producer duplicates (same id and fingerprint, another
JSON), pending outcomes applied again, forgets with and without the
fingerprint and of unknown ids, records outside the window (old, future),
amounts of every scale 0-18 and with SCALE empty (the exact decimal path,
long decimals), totals crossing 10^15 and scale changes both ways,
malformed stored totals and counts, keys of the wrong type (a reference
summary, a destination summary, a references set: that record fails alone),
a Redis not on layout 4 (TRYAGAIN), the layout 3 lookups (v3-pending
migrating and v3-switched-at recent, layout 3 pending hashes and claim
buckets, conflicts there) and batches larger than one MGET/MSET chunk.
Exits 1 at the first difference, printing it.
"""
import argparse, os, random, re, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, '..', 'Sources', 'TallyStore', 'Resources', 'tally_v4.lua')
PORTS = (16998, 16999)
PREFIX = 'tally'
BUCKET_SECONDS, BUCKETS, AHEAD = 3600, 8, 600
WINDOW = BUCKET_SECONDS * (BUCKETS - 1)
KEEP = WINDOW + AHEAD
sys.path.insert(0, HERE)
from redis_resp import Redis  # noqa: E402


class Err(str):
    """An error reply, compared as its text."""

    def __repr__(self):
        return 'Err(%s)' % str.__repr__(self)


class Pair:
    """The same command to both servers; the replies must be equal."""

    def __init__(self, old, new):
        self.old, self.new = old, new
        self.calls = 0

    def both(self, *args):
        a, b = self.old(*args), self.new(*args)
        return a, b

    def same(self, *args, what=None):
        a, b = self.both(*args)
        self.calls += 1
        if placeless(a) != placeless(b):
            fail('reply of %s' % (what or ' '.join(str(x) for x in args[:3])), a, b)
        return a


def placeless(reply):
    """A reply with the line numbers of Lua errors left out: a record that
    fails is answered with its error's message, which starts with its place
    in the file (user_function:<line>:), and lines move with any edit."""
    if isinstance(reply, list):
        return [placeless(x) for x in reply]
    if isinstance(reply, (bytes, str)):
        text = reply if isinstance(reply, bytes) else reply.encode()
        return re.sub(rb'user_function:\d+:', b'user_function:N:', text)
    return reply


def fail(what, a=None, b=None, names=('old', 'new')):
    """Prints the first difference (or only `what`, given no sides) and exits 1."""
    print('DIFFERENT: %s' % what)
    left, right = names
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                print('  first at element %d:\n    %s %r\n    %s %r' % (i, left, x, right, y))
                break
    elif a is not None or b is not None:
        print('  %s %r\n  %s %r' % (left, a, right, b))
    sys.exit(1)


def shard_of(record_id):
    h = 0xcbf29ce484222325
    for byte in record_id.encode():
        h = ((h ^ byte) * 0x100000001b3) & 0xffffffffffffffff
    return h % 1024


class World:
    """The inputs: destinations, references, recordIds and what was sent."""

    def __init__(self, rnd, now):
        self.rnd, self.now = rnd, now
        self.dests = ['dest-%02d' % i for i in range(12)] + ['we{ird}%', 'd:colon']
        self.refs = ['ref-%d' % i for i in range(6)] + ['', 'r\u00e9f']
        self.units = ['kWh', 'EUR', 'm3', 'l']
        self.sent = {}          # recordId -> args of its first apply
        self.serial = 0

    def base(self, d):
        return '%s:{%s}' % (PREFIX, d.replace('%', '%25').replace('{', '%7B').replace('}', '%7D'))

    def amount(self):
        rnd = self.rnd
        kind = rnd.random()
        if kind < 0.06:
            # SCALE empty: a plain decimal, possibly long (the exact path).
            # Its sums stay below 64 bytes, so that the hashes stay listpacks,
            # whose field order is the same on both servers (a hashtable's
            # depends on the process's random hash seed).
            i = str(rnd.randrange(10 ** rnd.randrange(1, 30)))
            f = ''.join(rnd.choice('0123456789') for _ in range(rnd.randrange(0, 20)))
            return '', i + ('.' + f if f else '')
        if kind < 0.16:
            # Near the integer limit, so totals cross 10^15.
            scale = rnd.randrange(0, 4)
            return str(scale), str(rnd.randrange(10 ** 14, 10 ** 15))
        if kind < 0.22:
            # Wide scales: rescaling moves totals or amounts to the exact field.
            scale = rnd.randrange(5, 19)
            return str(scale), str(rnd.randrange(1, 10 ** rnd.randrange(1, 16)))
        if kind < 0.24:
            return str(rnd.randrange(0, 5)), '0'
        scale = rnd.randrange(0, 5)
        return str(scale), str(rnd.randrange(1, 1000 * 10 ** scale))

    def record(self, record_id=None, fingerprint=None, time_kind=None):
        rnd = self.rnd
        self.serial += 1
        if record_id is None:
            record_id = 'rec-%06d-%s' % (self.serial, rnd.choice(['a', 'bc', 'x' * 30]))
        if fingerprint is None:
            fingerprint = '%016x' % rnd.getrandbits(64)
        d, r = rnd.choice(self.dests), rnd.choice(self.refs)
        unit, sign = rnd.choice(self.units), rnd.choice('PN')
        scale, amount = self.amount()
        t = time_kind or rnd.choices(['in', 'old', 'future', 'edge'], [90, 4, 4, 2])[0]
        if t == 'in':
            when = self.now - rnd.randrange(0, WINDOW - 30)
        elif t == 'old':
            when = self.now - WINDOW - rnd.randrange(30, 10 ** 6)
        elif t == 'future':
            when = self.now + AHEAD + rnd.randrange(30, 10 ** 6)
        else:
            when = self.now + AHEAD - rnd.randrange(10, 30)
        threshold = rnd.choice(['', '', '', '100', '2.5'])
        js = ('{"recordId":"%s","time":%d,"destinationId":"%s","type":"%s","value":"%s","unit":"%s",'
              '"reference":"%s","n":%d}') % (record_id, when, d, sign, amount, unit, r, self.serial)
        args = [record_id, fingerprint, self.base(d), r, sign + ':' + unit, sign + 's:' + unit,
                scale, amount, threshold, str(when), js, str(shard_of(record_id))]
        self.sent.setdefault(record_id, args)
        return args

    def again(self, same_fingerprint=True, same_json=True):
        """A record already sent: a duplicate, or a conflict."""
        rid = self.rnd.choice(list(self.sent))
        args = list(self.sent[rid])
        if not same_fingerprint:
            args[1] = '%016x' % self.rnd.getrandbits(64)
        if not same_json:
            args[10] = args[10][:-1] + ',"again":%d}' % self.rnd.randrange(1000)
        return args

    def batch(self, size):
        rnd, out = self.rnd, []
        for _ in range(size):
            k = rnd.random()
            if self.sent and k < 0.08:
                out.append(self.again())
            elif self.sent and k < 0.11:
                out.append(self.again(same_json=False))
            elif self.sent and k < 0.15:
                out.append(self.again(same_fingerprint=False))
            elif out and k < 0.19:
                out.append(list(rnd.choice(out)))            # a duplicate in the same batch
            elif out and k < 0.21:
                twin = list(rnd.choice(out))                 # a conflict in the same batch
                twin[1] = '%016x' % rnd.getrandbits(64)
                out.append(twin)
            else:
                out.append(self.record())
        return out


def apply(pair, batch, what):
    args = ['FCALL', 'tally_apply_v4', '2', PREFIX + ':layout', PREFIX + ':log', BUCKET_SECONDS, BUCKETS, AHEAD,
            PREFIX, len(batch)]
    for r in batch:
        args += r
    return pair.same(*args, what=what)


def forget(pair, world, records, what):
    args = ['FCALL', 'tally_forget_v4', '1', PREFIX + ':layout', KEEP, PREFIX]
    for r in records:
        fingerprint = r[1] if world.rnd.random() < 0.6 else ''
        args += [r[0], r[2], fingerprint]
    return pair.same(*args, what=what)


def keyspace(redis):
    out = {}
    for key in sorted(redis('KEYS', '*')):
        kind = redis('TYPE', key)
        if kind == b'string':
            value = redis('GET', key)
        elif kind == b'hash':
            value = redis('HGETALL', key)               # in field order: replies expose it
            if redis('OBJECT', 'ENCODING', key) != b'listpack':
                value = ('hashtable', sorted(zip(value[::2], value[1::2])))
        elif kind == b'set':
            value = sorted(redis('SMEMBERS', key))
        elif kind == b'stream':
            value = [entry[1] for entry in redis('XRANGE', key, '-', '+')]
        else:
            value = ('unexpected type', kind)
        expire = redis('EXPIRETIME', key)
        out[key] = (kind, value, expire)
    return out


def compare_keyspace(pair, when):
    a, b = keyspace(pair.old), keyspace(pair.new)
    if sorted(a) != sorted(b):
        fail('keys %s: only old %r, only new %r' % (when, sorted(set(a) - set(b))[:5], sorted(set(b) - set(a))[:5]),
             len(a), len(b))
    for key in a:
        (ka, va, ea), (kb, vb, eb) = a[key], b[key]
        if ka != kb or va != vb:
            fail('key %r %s' % (key, when), (ka, va), (kb, vb))
        # Expiry: both or neither, within a few seconds (each server reads its own clock).
        if (ea < 0) != (eb < 0) or ea < 0 and ea != eb or abs(ea - eb) > 3:
            fail('expiry of %r %s' % (key, when), ea, eb)
    return len(a)


def run(options):
    old_src = open(options.old_path).read() if options.old_path else subprocess.check_output(
        ['git', 'show', 'HEAD:Sources/TallyStore/Resources/tally_v4.lua'], cwd=os.path.join(HERE, '..')).decode()
    new_src = open(options.new).read()
    data = tempfile.mkdtemp(prefix='tally-function-diff-')
    servers = []
    try:
        for port in PORTS:
            servers.append(subprocess.Popen(
                ['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--dir', data, '--save', '',
                 '--appendonly', 'no', '--dbfilename', 'dump-%d.rdb' % port, '--logfile', '%s/redis-%d.log' % (data, port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        conns = []
        for port in PORTS:
            for _ in range(100):
                try:
                    c = Redis(port, error=Err)
                    if c('PING') == b'PONG': break
                except OSError:
                    time.sleep(0.05)
            conns.append(c)
        pair = Pair(*conns)
        for c, src in zip(conns, (old_src, new_src)):
            r = c('FUNCTION', 'LOAD', 'REPLACE', src)
            if isinstance(r, Err):
                print('FUNCTION LOAD failed: %s' % r)
                sys.exit(2)
        checks = 0
        for seed in range(options.seed, options.seed + options.seeds):
            checks += scenario(pair, seed, options.batches)
        print('same: %d calls (%d records applied, %d forgotten) and %d keys over %d keyspace comparisons' %
              (pair.calls, STATS['applied'], STATS['forgotten'], STATS['keys'], checks))
    finally:
        for s in servers:
            s.terminate()
            s.wait()
        shutil.rmtree(data, ignore_errors=True)


STATS = {'applied': 0, 'forgotten': 0, 'keys': 0}
SEEN = {}


def note(replies):
    if not isinstance(replies, list):
        SEEN[b'call refused: ' + replies.encode()[:40]] = SEEN.get(b'call refused: ' + replies.encode()[:40], 0) + 1
        return
    for i in range(0, len(replies), 2):
        status = replies[i]
        if status == b'failed':
            status = b'failed: ' + replies[i + 1][:48]
        elif status == b'pending':
            status = b'pending (%s)' % (b'layout 3' if replies[i + 1][16:17] == b'R' else b'claim')
        SEEN[status] = SEEN.get(status, 0) + 1


def scenario(pair, seed, batches):
    rnd = random.Random(seed)
    pair.same('FLUSHALL')
    now = int(time.time())
    world = World(rnd, now)
    layout = PREFIX + ':layout'
    # Not on layout 4 yet: the whole call is refused.
    pair.same('HSET', layout, 'version', '3')
    note(apply(pair, world.batch(3), 'apply on layout 3'))
    pair.same('DEL', layout)
    pair.same('FCALL', 'tally_layout_v4', '2', layout, PREFIX + ':log')
    unforgotten = []
    comparisons = 0
    for n in range(batches):
        phase = n % 10
        if phase == 3:
            # Layout 3 still looked up: claims recently switched, pending outcomes migrating.
            pair.same('HSET', layout, 'v3-switched-at', now - rnd.randrange(0, 3600), 'v3-pending', 'migrating')
            v3 = [world.record() for _ in range(40)]
            for r in v3:
                k = rnd.random()
                if k < 0.3:
                    pair.same('HSET', r[2] + ':pending', r[0], r[1] + '{"notification":%d}\n{"alert":1}' % rnd.randrange(99))
                elif k < 0.4:
                    pair.same('HSET', r[2] + ':pending', r[0], '%016x{"other":1}' % rnd.getrandbits(64))
                elif k < 0.7:
                    bucket = (now - rnd.randrange(0, WINDOW)) // BUCKET_SECONDS
                    fp = r[1] if rnd.random() < 0.7 else '%016x' % rnd.getrandbits(64)
                    pair.same('HSET', '%s:ids:%s:%d' % (PREFIX, r[11], bucket), r[0], fp)
            batch = v3 + world.batch(60)
            rnd.shuffle(batch)
        elif phase == 4:
            # Only the pending outcomes still migrating; then neither.
            pair.same('HDEL', layout, 'v3-switched-at')
            batch = world.batch(80) + [world.again() for _ in range(10)]
        elif phase == 5:
            pair.same('HDEL', layout, 'v3-pending')
            pair.same('HSET', layout, 'v3-switched-at', now - 10 ** 6)    # long expired: no lookups
            batch = world.batch(120)
        elif phase == 6:
            # Keys of the wrong type and malformed stored values: those records fail alone.
            victims = world.batch(30)
            d = rnd.choice(world.dests)
            r = rnd.choice(world.refs)
            pair.same('SET', world.base(d) + ':ref:' + r, 'not a hash')
            if rnd.random() < 0.5:
                d2 = rnd.choice(world.dests)
                pair.same('SET', world.base(d2) + ':sum', 'not a hash either')
            d3 = rnd.choice(world.dests)
            pair.same('DEL', world.base(d3) + ':refs')
            pair.same('SET', world.base(d3) + ':refs', 'not a set')
            d4, r4 = rnd.choice(world.dests), rnd.choice(world.refs)
            pair.same('HSET', world.base(d4) + ':ref:' + r4,
                      rnd.choice(['P:kWh', 'Ps:kWh', 'count', 'p:kWh']),
                      rnd.choice(['x', '-1', '1.5', '9007199254740992', '', '1e3', '0x10']))
            # A count that is not a number (the record fails) or not an integer.
            d5, r5 = rnd.choice(world.dests), rnd.choice(world.refs)
            pair.same('HSET', world.base(d5) + ':ref:' + r5, 'count', rnd.choice(['x', '2.5', '-3', 'nan']))
            extra = []
            for _ in range(4):
                rec = world.record()
                rec[2], rec[3] = world.base(d5), r5
                extra.append(rec)
            for _ in range(20):
                rec = world.record()
                rec[2], rec[3] = world.base(d), r
                extra.append(rec)
            for _ in range(10):
                rec = world.record()
                rec[2], rec[3], rec[4], rec[5] = world.base(d4), r4, 'P:kWh', 'Ps:kWh'
                if rnd.random() < 0.3:
                    rec[6], rec[7] = '', '12.5'
                extra.append(rec)
            for _ in range(5):
                rec = world.record()
                rec[2] = world.base(d3)
                rec[3] = 'brand-new-ref-%d' % rnd.randrange(10 ** 6)
                extra.append(rec)
            batch = victims + extra
            rnd.shuffle(batch)
        elif phase == 8:
            # Larger than one MGET / MSET chunk (1000), few summaries: each touched many times.
            batch = world.batch(rnd.randrange(1000, 1600))
        else:
            batch = world.batch(rnd.randrange(1, 500))
        replies = apply(pair, batch, 'apply batch %d (seed %d)' % (n, seed))
        note(replies)
        if isinstance(replies, list):
            applied = [r for r, i in zip(batch, range(0, len(replies), 2)) if replies[i] in (b'applied', b'pending')]
            STATS['applied'] += sum(1 for i in range(0, len(replies), 2) if replies[i] == b'applied')
        else:
            applied = []
        if phase == 6:
            # Clean up the wrong-type keys, so later records of those summaries apply.
            keys_old, keys_new = pair.both('KEYS', PREFIX + ':*')
            if sorted(keys_old) != sorted(keys_new):
                fail('keys before the clean-up (seed %d)' % seed, sorted(keys_old), sorted(keys_new))
            for key in sorted(keys_old):
                kind = pair.same('TYPE', key)
                if kind == b'string' and not b':c:' in key:
                    pair.same('DEL', key)
                elif kind == b'hash' and b':ref:' in key:
                    for field, value in zip(*[iter(pair.same('HGETALL', key))] * 2):
                        if value in (b'x', b'-1', b'1.5', b'9007199254740992', b'1e3', b'0x10', b'', b'2.5', b'-3', b'nan'):
                            pair.same('HDEL', key, field)
        # Forget most, keep some pending (applied again later: 'pending').
        rnd.shuffle(applied)
        keep = int(len(applied) * rnd.choice([0, 0.1, 0.3]))
        unforgotten += applied[:keep]
        to_forget = applied[keep:]
        if unforgotten and rnd.random() < 0.3:
            to_forget += unforgotten[:5]
            unforgotten = unforgotten[5:]
        if rnd.random() < 0.3:
            to_forget += [world.record()]                   # never applied: nothing to forget
        for start in range(0, len(to_forget), 700):
            forget(pair, world, to_forget[start:start + 700], 'forget after batch %d (seed %d)' % (n, seed))
        STATS['forgotten'] += len(to_forget)
        if unforgotten and rnd.random() < 0.5:
            again = [list(rnd.choice(unforgotten)) for _ in range(5)]
            note(apply(pair, again, 'pending applied again (seed %d)' % seed))
        if n % 5 == 4 or n == batches - 1:
            STATS['keys'] += compare_keyspace(pair, 'after batch %d (seed %d)' % (n, seed))
            comparisons += 1
    return comparisons


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--old', dest='old_path', help='the old library (default: main\'s tally_v4.lua)')
    parser.add_argument('--new', default=LUA)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--seeds', type=int, default=3)
    parser.add_argument('--batches', type=int, default=40)
    options = parser.parse_args()
    run(options)
    print('replies seen:')
    for k, v in sorted(SEEN.items()):
        print('  %6d  %s' % (v, k.decode()))


if __name__ == '__main__':
    main()
