"""Reads the rows scripts/ratio-template.hbs writes (one per benchmark) and prints each call's
total weight and its ratio to balances.transfer_keep_alive and system.remark (empty).
With --markdown, prints a markdown table instead of aligned text."""
import sys

MARKDOWN = "--markdown" in sys.argv[1:]

READ, WRITE = 8_000_000, 50_000_000  # ParityDbWeight in picoseconds
FACTOR = {"w": 1, "r": READ, "x": WRITE}


def total(base, reads, writes, comps, values):
    w = int(base) + int(reads) * READ + int(writes) * WRITE
    for c in comps.split():
        kind, rest = c.split(":")
        name, slope = rest.split("=")
        w += int(slope) * int(values.get(name, 0)) * FACTOR[kind]
    return w


rows = {}
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    if len(f) < 7:
        continue
    pallet, name, base, reads, writes, comps, ranges = f
    maxes = dict(kv.split("=") for kv in ranges.split())
    rows[(pallet, name)] = (
        total(base, reads, writes, comps, {}),
        total(base, reads, writes, comps, maxes),
        maxes,
    )

transfer = rows[("pallet_balances", "transfer_keep_alive")][0]
remark = rows[("frame_system", "remark")][0]


def row(label, w):
    if MARKDOWN:
        print("| `%s` | %.1f | %.2f | %.2f |" % (label, w / 1e6, w / transfer, w / remark))
    else:
        print("%-50s %12.1f %11.2f %9.2f" % (label, w / 1e6, w / transfer, w / remark))


if MARKDOWN:
    print("| call | weight (us) | x transfer_keep_alive | x remark |\n|---|---:|---:|---:|")
else:
    print("%-50s %12s %11s %9s" % ("call", "weight (us)", "x transfer", "x remark"))
for (pallet, name), (w0, wmax, maxes) in sorted(rows.items()):
    label = "%s::%s" % (pallet, name)
    row(label, w0)
    if maxes and wmax != w0:
        at = ",".join("%s=%s" % kv for kv in maxes.items())
        row("%s(%s)" % (label, at), wmax)
