#!/usr/bin/env python3
"""Redis CPU of tally's Function alone: a scratch redis-server (AOF
appendfsync always, no RDB, no AOF rewrite) fed `tally_apply_v4` in batches
of 500 and `tally_forget_v4` behind each, with the data shape of
`make bench-cpu` (100 destinations x 10 references x 3 units, amounts with
0-4 fraction digits, a ~250-byte record). Prints redis-server CPU µs per
record from /proc and INFO commandstats per round; with --callgrind, runs
Redis under valgrind and prints instructions per record instead (the
difference of a 2,000- and a 12,000-record run: exact and repeatable, where
CPU time on a shared machine is not). With --module PATH (the tally Redis
module, scripts/build-redis-module.sh prints it), Redis loads it and the
same batches go through TALLY.APPLY_V4 and TALLY.FORGET_V4 instead.

  scripts/redis-function-cost.py [--lua FILE] [--module PATH] [--records N] [--rounds R] [--callgrind]
"""
import argparse, os, random, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LUA = os.path.join(HERE, '..', 'Sources', 'TallyStore', 'Resources', 'tally_v4.lua')
CLK = os.sysconf('SC_CLK_TCK')
sys.path.insert(0, HERE)
from redis_resp import Redis  # noqa: E402



def record(rnd, i, tag, now):
    d, r = 'dest-%03d' % rnd.randrange(100), 'ref-%d' % rnd.randrange(10)
    unit, sign, scale = rnd.choice(['kWh', 'EUR', 'm3']), rnd.choice('PN'), rnd.randrange(5)
    significand = rnd.randrange(1, 1000 * 10 ** scale)
    rid = '%s-%08d-abcdef' % (tag, i)
    value = str(significand) if scale == 0 else '%d.%0*d' % (significand // 10 ** scale, scale, significand % 10 ** scale)
    js = ('{"recordId":"%s","time":"2026-12-07T02:00:00Z","sourceId":"meter-17","destinationId":"%s","type":"%s",'
          '"value":"%s","unit":"%s","reference":"%s"}') % (rid, d, 'positive' if sign == 'P' else 'negative', value, unit, r)
    return [rid, '%016x' % rnd.getrandbits(64), 'tally:{%s}' % d, r, sign + ':' + unit, sign + 's:' + unit,
            str(scale), str(significand), '', str(now - 60), js.ljust(250), str(rnd.randrange(1024))]


def run(lua, module, records, rounds, callgrind):
    data = tempfile.mkdtemp(prefix='tally-function-cost-')
    port = 16997
    out = os.path.join(data, 'callgrind.out')
    command = ['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--dir', data, '--appendonly', 'yes',
               '--appendfsync', 'always', '--save', '', '--auto-aof-rewrite-percentage', '0', '--logfile', data + '/redis.log']
    if module:
        command += ['--loadmodule', os.path.abspath(module)]
    if callgrind:
        command = ['valgrind', '--tool=callgrind', '--callgrind-out-file=' + out] + command
    server = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                redis = Redis(port)
                redis('PING')
                break
            except OSError:
                time.sleep(0.1)
        redis('FUNCTION', 'LOAD', 'REPLACE', open(lua).read())
        redis('FCALL', 'tally_layout_v4', '2', 'tally:layout', 'tally:log')
        rnd, now = random.Random(1), int(time.time())
        for round_no in range(rounds):
            redis('CONFIG', 'RESETSTAT')
            stat = open('/proc/%d/stat' % server.pid).read().split()
            before = int(stat[13]) + int(stat[14])
            previous = []
            for start in range(0, records, 500):
                batch = [record(rnd, start + j, 'r%d' % round_no, now) for j in range(min(500, records - start))]
                args = (['TALLY.APPLY_V4'] if module else ['FCALL', 'tally_apply_v4']) + ['2', 'tally:layout', 'tally:log', '86400', '8', '3600', 'tally', len(batch)]
                for r in batch: args += r
                reply = redis(*args)
                if reply[0] != b'applied':
                    sys.exit('the first record of a batch was not applied: %r' % reply[:2])
                if previous:
                    forget = (['TALLY.FORGET_V4'] if module else ['FCALL', 'tally_forget_v4']) + ['1', 'tally:layout', str(7 * 86400 + 3600), 'tally']
                    for r in previous: forget += [r[0], r[2], r[1]]
                    redis(*forget)
                previous = batch
            stat = open('/proc/%d/stat' % server.pid).read().split()
            ticks = int(stat[13]) + int(stat[14]) - before
            if not callgrind:
                print('round %d: redis-server %.1f µs CPU per record' % (round_no + 1, 1e6 * ticks / CLK / records))
                for line in redis('INFO', 'commandstats').decode().splitlines():
                    if line.startswith('cmdstat_') and 'config' not in line:
                        name, rest = line[8:].split(':', 1)
                        kv = dict(x.split('=') for x in rest.split(','))
                        print('  %-8s %6.3f calls, %6.2f µs per record' % (name, int(kv['calls']) / records, int(kv['usec']) / records))
    finally:
        server.terminate()
        server.wait()
    total = None
    if callgrind:
        for line in open(out):
            if line.startswith(('summary:', 'totals:')):
                total = int(line.split()[1])
                break
    shutil.rmtree(data, ignore_errors=True)
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--lua', default=DEFAULT_LUA)
    parser.add_argument('--module', default=None)
    parser.add_argument('--records', type=int, default=100000)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--callgrind', action='store_true')
    options = parser.parse_args()
    if options.callgrind:
        small = run(options.lua, options.module, 2000, 1, True)
        large = run(options.lua, options.module, 12000, 1, True)
        print('%d instructions per record' % ((large - small) // 10000))
    else:
        run(options.lua, options.module, options.records, options.rounds, False)


if __name__ == '__main__':
    main()
