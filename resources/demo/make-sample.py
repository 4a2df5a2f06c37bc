#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes orders.jsonl: a deterministic sample stream of the order saga (order-saga.yaml) as
structured CloudEvents, with causation links, a duplicate, an out-of-order event and two lines
that are not events, so that every counter of the demo has something to show.
Run: python3 make-sample.py > orders.jsonl"""
import json, random

rnd = random.Random(42)
t0 = 1_790_000_000_000_000  # µs, 2026-09-21
events = []
seq = 0

def emit(t, typ, source, order, cause, data=None, channel=None):
    global seq
    seq += 1
    e = {"specversion": "1.0", "id": f"e{seq:06d}", "source": source, "type": typ,
         "time": None, "datacontenttype": "application/json", "correlationid": order}
    if cause:
        e["causationid"] = cause
    e["data"] = dict(data or {}, orderId=order)
    events.append((t, e))
    return e["id"]

for n in range(300):
    order = f"o{n:04d}"
    t = t0 + n * 200_000 + rnd.randint(0, 50_000)
    c = emit(t, "OrderCreated", "orders", order, None,
             {"customerId": f"c{rnd.randint(1, 60)}", "amount": round(rnd.lognormvariate(4.1, 0.5), 2)})
    t += rnd.randint(3_000, 20_000)
    if rnd.random() < 0.07:
        c = emit(t, "PaymentFailed", "payment", order, c)
        t += rnd.randint(1_000, 5_000)
        emit(t, "OrderRejected", "orders", order, c)
        continue
    c = emit(t, "PaymentAuthorized", "payment", order, c, {"amount": 0})
    t += rnd.randint(10_000, 40_000)
    if rnd.random() < 0.05:
        c = emit(t, "StockUnavailable", "inventory", order, c)
        t += rnd.randint(3_000, 20_000)
        c = emit(t, "PaymentRefunded", "payment", order, c)
        t += rnd.randint(1_000, 5_000)
        emit(t, "OrderCancelled", "orders", order, c)
        continue
    c = emit(t, "StockReserved", "inventory", order, c)
    t += rnd.randint(1_000, 5_000)
    c = emit(t, "OrderApproved", "orders", order, c)
    if n % 50 == 49:
        continue  # a few orders never ship: they stay in `approved`
    t += rnd.randint(50_000, 200_000)
    emit(t, "OrderShipped", "shipping", order, c)

events.sort(key=lambda p: p[0])
lines = []
for t, e in events:
    s = t // 1_000_000
    import datetime
    e["time"] = datetime.datetime.fromtimestamp(s, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{t % 1_000_000:06d}Z"
    lines.append(json.dumps(e, separators=(",", ":")))
lines.insert(100, lines[99])                  # an exact duplicate, as at-least-once delivery makes
lines[200], lines[201] = lines[201], lines[200]  # two events out of order
lines.insert(300, '{"specversion":"1.0","id":"broken","source":"/payment","type":"PaymentAuth')  # truncated
lines.insert(400, "PING")                      # not JSON at all
print("\n".join(lines))
