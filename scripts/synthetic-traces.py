#!/usr/bin/env python3
"""Writes synthetic traces for measuring `capsim import` at scale.

    scripts/synthetic-traces.py otlp-lines SPANS > traces.jsonl   # OTLP JSON Lines, 1,000 traces a line
    scripts/synthetic-traces.py jaeger SPANS > traces.json        # one Jaeger document

Each trace is 5 spans: a SERVER span of api.get, a CLIENT call to db with
its SERVER span, and a CLIENT call to cache with its SERVER span; 500
requests/s, seeded, so the files are the same on every machine.
"""
import json
import random
import sys

def traces(n_spans):
    rng = random.Random(24)
    t = 1_735_689_600_000_000_000
    for i in range(n_spans // 5):
        t += int(rng.expovariate(500) * 1e9)
        trace = f"{i + 1:032x}"
        base = (i + 1) * 8
        own1 = int(rng.lognormvariate(-4.5, 0.5) * 1e9)
        db = int(rng.expovariate(1 / 0.004) * 1e9)
        cache = int(rng.expovariate(1 / 0.0005) * 1e9)
        s0 = t
        c1 = s0 + own1 // 2
        c2 = c1 + db + 100_000
        end = c2 + cache + 100_000 + own1 // 2
        yield trace, [
            ("api", f"{base:016x}", "", "get", 2, s0, end),
            ("api", f"{base + 1:016x}", f"{base:016x}", "db.query", 3, c1, c1 + db + 100_000),
            ("db", f"{base + 2:016x}", f"{base + 1:016x}", "query", 2, c1 + 50_000, c1 + 50_000 + db),
            ("api", f"{base + 3:016x}", f"{base:016x}", "cache.get", 3, c2, c2 + cache + 100_000),
            ("cache", f"{base + 4:016x}", f"{base + 3:016x}", "get", 2, c2 + 50_000, c2 + 50_000 + cache),
        ]

def otlp_lines(n):
    batch = {}
    count = 0
    def flush():
        doc = {"resourceSpans": [
            {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": svc}}]},
             "scopeSpans": [{"scope": {"name": "synthetic"}, "spans": spans}]}
            for svc, spans in batch.items()]}
        sys.stdout.write(json.dumps(doc, separators=(",", ":")) + "\n")
        batch.clear()
    for trace, spans in traces(n):
        for svc, sid, parent, name, kind, start, end in spans:
            span = {"traceId": trace, "spanId": sid, "name": name, "kind": kind,
                    "startTimeUnixNano": str(start), "endTimeUnixNano": str(end)}
            if parent:
                span["parentSpanId"] = parent
            batch.setdefault(svc, []).append(span)
        count += 1
        if count % 1000 == 0:
            flush()
    if batch:
        flush()

def jaeger(n):
    out = sys.stdout
    out.write('{"data":[')
    for k, (trace, spans) in enumerate(traces(n)):
        procs = {}
        items = []
        for svc, sid, parent, name, kind, start, end in spans:
            pid = procs.setdefault(svc, f"p{len(procs) + 1}")
            refs = [{"refType": "CHILD_OF", "traceID": trace, "spanID": parent}] if parent else []
            items.append({"traceID": trace, "spanID": sid, "operationName": name, "references": refs,
                          "startTime": start // 1000, "duration": (end - start) // 1000,
                          "tags": [{"key": "span.kind", "type": "string", "value": "server" if kind == 2 else "client"}],
                          "logs": [], "processID": pid})
        doc = {"traceID": trace, "spans": items,
               "processes": {p: {"serviceName": s, "tags": []} for s, p in procs.items()}}
        out.write(("," if k else "") + json.dumps(doc, separators=(",", ":")))
    out.write("]}\n")

if __name__ == "__main__":
    kind, n = sys.argv[1], int(sys.argv[2])
    {"otlp-lines": otlp_lines, "jaeger": jaeger}[kind](n)
