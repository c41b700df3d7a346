#!/usr/bin/env python3
"""Drives `make bench-vendor` (scripts/bench-vendor.sh): feeds the vendor
simulator RATE new transactions a minute (an even trickle, every second)
for DURATION seconds while `tally poll vendor` polls it at the real limit,
samples the poller's confirmed cursor in Redis every second, and reports
the poller's sustained rate, its lag and the simulator's window violations.

Lag, per sample: how long the oldest transaction the poller has not yet
published with confirms has existed (0 when it has them all).
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

sim = os.environ["SIM_URL"]            # http://127.0.0.1:PORT
rate = int(os.environ.get("RATE", "4950"))
duration = int(os.environ.get("DURATION", "360"))
warmup = int(os.environ.get("WARMUP", "60"))
cursor_key = os.environ["CURSOR_KEY"]
redis_port = os.environ["TALLY_REDIS_PORT"]


def post(items):
    req = urllib.request.Request(sim + "/transactions", data=json.dumps(items).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def stats():
    return json.loads(urllib.request.urlopen(sim + "/stats", timeout=10).read())


def cursor():
    out = subprocess.run(["redis-cli", "-p", redis_port, "GET", cursor_key], capture_output=True, text=True).stdout.strip()
    return int(out) if out.isdigit() else 0


created = []          # creation instant (monotonic s) of transaction k
types = ["earned", "spent", "payout", "paid_out"]
start = time.monotonic()
samples = []          # (t, appended, confirmed, lag_s)
next_id = 0
second = 0
while True:
    now = time.monotonic()
    t = now - start
    if t >= duration:
        break
    # Transactions due by the end of this second: an even RATE a minute.
    due = (second + 1) * rate // 60
    batch = []
    while next_id < due:
        batch.append({"id": f"b{next_id}", "userId": f"u{next_id % 500:03d}",
                      "createdAt": "2026-07-01T10:00:00Z", "type": types[next_id % 4],
                      "amount": f"{1 + next_id % 97}.{next_id % 100:02d}"})
        next_id += 1
    post(batch)
    created.extend([time.monotonic()] * len(batch))
    confirmed = cursor()
    now = time.monotonic()
    lag = now - created[confirmed] if confirmed < len(created) else 0.0
    samples.append((now - start, len(created), confirmed, lag))
    second += 1
    time.sleep(max(0.0, start + second - time.monotonic()))

# Let the poller take what is left, up to two more spacings.
drain_until = time.monotonic() + 30
while cursor() < len(created) and time.monotonic() < drain_until:
    time.sleep(0.5)
final = cursor()
s = stats()

steady = [x for x in samples if x[0] >= warmup]
t0, _, c0, _ = steady[0]
t1, a1, c1, _ = steady[-1]
sustained = (c1 - c0) / ((t1 - t0) / 60)
lags = sorted(x[3] for x in steady)
report = {
    "durationSeconds": duration,
    "offeredPerMinute": rate,
    "appended": len(created),
    "confirmedAtEnd": samples[-1][2],
    "confirmedAfterDrain": final,
    "sustainedPerMinute": round(sustained, 1),
    "overallPerMinute": round(samples[-1][2] / (samples[-1][0] / 60), 1),
    "lagSeconds": {"p50": round(lags[len(lags) // 2], 1), "p95": round(lags[int(len(lags) * 0.95)], 1),
                   "max": round(lags[-1], 1)},
    "backlogAtEnd": samples[-1][1] - samples[-1][2],
    "simulator": {k: s[k] for k in ["requests", "admitted", "violations", "maxInWindow", "transactionsServed"]},
}
first, last = s["firstRequestMs"], s["lastRequestMs"]
if s["requests"] > 1:
    report["simulator"]["meanSpacingMs"] = round((last - first) / (s["requests"] - 1))
print(json.dumps(report, indent=2))
ok = s["violations"] == 0 and s["maxInWindow"] <= 5 and final == len(created)
sys.exit(0 if ok else 1)
