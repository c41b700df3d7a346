#!/usr/bin/env python3
"""Writes RESP for `redis-cli --pipe`: N records into <prefix>:log as the
worker's Function appends them with a batched log (`log batches`): one entry
per PER_ENTRY records (environment, default 500, a full worker batch), field
`records`, their canonical JSON joined by newlines (Record.canonicalJSON:
fixed field order, value a string). PER_ENTRY=1 writes one entry per record,
field `record`, as the previous release did.

Layout of the data (deterministic, seed 1): 1,000 destinations, records
spread evenly over 100 days from 2026-01-01 (10,000 a day for 1,000,000),
3 units, 4 sources, 50 references, values with 0-4 fraction digits.

    scripts/bench-aggregator-load.py PREFIX N | redis-cli -p PORT --pipe
"""
import random
import sys
from datetime import datetime, timedelta, timezone

import os

prefix, count = sys.argv[1], int(sys.argv[2])
per_entry = max(1, int(os.environ.get("PER_ENTRY", "500")))
days = 100
random.seed(1)
key = f"{prefix}:log".encode()
start = datetime(2026, 1, 1, tzinfo=timezone.utc)
per_day = max(1, count // days)
units = ["EUR", "USD", "kWh"]
sources = ["billing", "payments", "meter", "refunds"]
out = sys.stdout.buffer
chunk = []
batch = []


def bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


if per_entry > 1:
    # What a batched log's Redis says of itself: the aggregator sizes its
    # reads for entries of up to 500 records from it (LogIngestor).
    layout = f"{prefix}:layout".encode()
    out.write(b"*6\r\n" + bulk(b"HSET") + bulk(layout) + bulk(b"version") + bulk(b"4") + bulk(b"log") + bulk(b"batches"))


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
    batch.append(record)
    if len(batch) == per_entry or i == count - 1:
        field = b"record" if per_entry == 1 else b"records"
        chunk.append(b"*5\r\n" + bulk(b"XADD") + bulk(key) + bulk(b"*") + bulk(field) + bulk(b"\n".join(batch)))
        batch.clear()
    if len(chunk) == 10000:
        out.write(b"".join(chunk))
        chunk.clear()
out.write(b"".join(chunk))
