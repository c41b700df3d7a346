#!/usr/bin/env python3
"""Writes a meter-readings CSV (interval readings format) and a matching-algorithm CSV for
scripts/bench-readings.sh.

    bench-readings-generate.py READINGS_FILE MATCHES_FILE N [DAYS] [MATCH_DAYS] [MATCHES] [SPAN_SECONDS]

N readings: DAYS (default 14) days x 48 half-hours x ceil(N / (DAYS * 48))
ICPs, direction X, at +12:00, values with three decimals (exact strings, no
floats). The matches file holds one run over the first MATCH_DAYS (default
2) days, buyer and seller alternating: for every readings ICP, or, given
MATCHES, exactly MATCHES rows over ceil(MATCHES / (MATCH_DAYS * 48)) ICPs.
Rows are stamped as the algorithm writes them: publish_datetime grows evenly
from 2018-06-27 16:39:36+12 over SPAN_SECONDS (default 120), so the run
crosses SPAN_SECONDS second boundaries and stays one run only if the import
keeps it whole. Prints the readings ICPs, then the matches ICPs.
"""
import sys

readings_path, matches_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
days = int(sys.argv[4]) if len(sys.argv) > 4 else 14
match_days = int(sys.argv[5]) if len(sys.argv) > 5 else 2
per_icp = days * 48
icps = (n + per_icp - 1) // per_icp
matches = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[6] else icps * match_days * 48
span_us = (int(sys.argv[7]) if len(sys.argv) > 7 else 120) * 1_000_000
match_icps = (matches + match_days * 48 - 1) // (match_days * 48)

def stamp(day, slot):
    # 2018-06-01 + day, half-hour slot 1..48 (slot 48 is 00:00 of the next day in
    # real files; kept within the day here to stay simple).
    minutes = slot * 30
    return "2018-06-%02d %02d:%02d:00+12" % (1 + day, minutes // 60, minutes % 60)

def published(row):
    # 16:39:36 plus row's share of the span, in microseconds (integers only).
    us = 36_000_000 + row * span_us // max(matches, 1)
    minute, us = 39 + us // 60_000_000, us % 60_000_000
    hour, minute = 16 + minute // 60, minute % 60
    return "2018-06-27 %02d:%02d:%02d.%06d+12" % (hour, minute, us // 1_000_000, us % 1_000_000)

written = 0
with open(readings_path, "w", buffering=1 << 20) as out:
    out.write("read_timestamp,interval_read,energy_flow_direction,icp_id\n")
    for icp in range(icps):
        key = 1_000_000 + icp
        for day in range(days):
            for slot in range(48):
                if written == n:
                    break
                milli = (icp * 7919 + day * 104729 + slot * 31) % 4000
                out.write("%s,%d.%03d,X,%d\n" % (stamp(day, slot), milli // 1000, milli % 1000, key))
                written += 1

row = 0
with open(matches_path, "w", buffering=1 << 20) as out:
    out.write("icp_id, matched_amount, read_date, read_time, publish_datetime,buyer_seller\n")
    for icp in range(match_icps):
        key = 1_000_000 + icp
        for day in range(match_days):
            for slot in range(48):
                if row == matches:
                    break
                minutes = slot * 30
                amount = (icp * 13 + day * 7 + slot) % 200
                side = "buyer" if (icp + slot) % 2 == 0 else "seller"
                out.write('%d, "0.%04d", "2018-06-%02d", "%02d:%02d:00", "%s", \u201c%s\u201d\n' % (
                    key, amount, 1 + day, minutes // 60, minutes % 60, published(row), side))
                row += 1
print(icps, match_icps)
