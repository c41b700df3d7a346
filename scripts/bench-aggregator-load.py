#!/usr/bin/env python3
"""Writes RESP for `redis-cli --pipe`: N XADD entries into <prefix>:log, each
one `record` field holding canonical record JSON exactly as the worker's
Function appends it (Record.canonicalJSON: fixed field order, value a string).

Layout of the data (deterministic, seed 1): 1,000 destinations, records
spread evenly over 100 days from 2026-01-01 (10,000 a day for 1,000,000),
3 units, 4 sources, 50 references, values with 0-4 fraction digits.

    scripts/bench-aggregator-load.py PREFIX N | redis-cli -p PORT --pipe
"""
import random
import sys
from datetime import datetime, timedelta, timezone

prefix, count = sys.argv[1], int(sys.argv[2])
days = 100
random.seed(1)
key = f"{prefix}:log".encode()
start = datetime(2026, 1, 1, tzinfo=timezone.utc)
per_day = max(1, count // days)
units = ["EUR", "USD", "kWh"]
sources = ["billing", "payments", "meter", "refunds"]
out = sys.stdout.buffer
chunk = []


def bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


for i in range(count):
    day = min(i // per_day, days - 1)
    second = (i % per_day) * 86400 // per_day
    t = start + timedelta(days=day, seconds=second)
    scale = random.randint(0, 4)
    integer = random.randint(0, 20000)
    value = str(integer) if scale == 0 else f"{integer}.{random.randint(0, 10**scale - 1):0{scale}d}"
    record = (
        '{"recordId":"bench-%d","time":"%s","sourceId":"%s","destinationId":"acct-%04d",'
        '"type":"%s","value":"%s","unit":"%s","reference":"ref-%02d"}'
        % (
            i,
            t.strftime("%Y-%m-%dT%H:%M:%SZ"),
            sources[i % 4],
            random.randrange(1000),
            "positive" if random.random() < 0.6 else "negative",
            value,
            units[random.randrange(3)],
            random.randrange(50),
        )
    ).encode()
    chunk.append(b"*5\r\n" + bulk(b"XADD") + bulk(key) + bulk(b"*") + bulk(b"record") + bulk(record))
    if len(chunk) == 10000:
        out.write(b"".join(chunk))
        chunk.clear()
out.write(b"".join(chunk))
