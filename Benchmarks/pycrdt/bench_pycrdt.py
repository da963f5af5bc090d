#!/usr/bin/env python3
"""Map-field baseline for the Gloss core benchmark, in pycrdt (Python bindings of Yrs).

One document holds N annotations; each annotation is a nested Map with the
fields "label", "note", "span" and "review", all strings. The workload
rewrites random fields of random annotations, one write per transaction
(one CRDT operation per transaction), and measures:

  local_apply      writes applied locally per second
  remote_apply     captured per-write updates applied to a replica per second
  merge_concurrent time for two diverged replicas to exchange state and converge
  memory_per_op    RSS growth per local write (Rust allocations are not seen by
                   tracemalloc, so this reads /proc/self/statm)

Output goes to stdout, one measurement per line, after a `pycrdt VERSION`
header. Progress notes go to stderr.
"""

import argparse
import gc
import os
import random
import string
import sys
import time
from array import array

import pycrdt
from pycrdt import Doc, Map

FIELDS = ("label", "note", "span", "review")
POOL_SIZE = 4096
REMOTE_SAMPLE = 200_000
ROOT = "annotations"

WORDS = (
    "the visit talks minister source claims report later denied earlier statement "
    "according press office said meeting agenda border trade deal draft signed "
    "unclear whether confirmed by two officials quoted in article cited context"
).split()
STATUSES = ("open", "accepted", "rejected")
COMMENTS = ("", "ok", "ok?", "check source", "needs second reviewer", "span too wide")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def rss_bytes():
    """Resident set size of this process, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def make_label(rng):
    # ~8 characters, e.g. "PERSON_3", "ORGANIZA"
    return "".join(rng.choices(string.ascii_uppercase, k=rng.randint(6, 10)))


def make_note(rng):
    # ~60 characters of words
    words = []
    length = 0
    target = rng.randint(50, 70)
    while length < target:
        w = rng.choice(WORDS)
        words.append(w)
        length += len(w) + 1
    return " ".join(words)[:target]


def make_span(rng):
    start = rng.randrange(0, 100_000)
    return f"{start}:{start + rng.randint(1, 40)}"


def make_review(rng):
    status = rng.choice(STATUSES)
    comment = rng.choice(COMMENTS)
    return f"{status}: {comment}" if comment else status


MAKERS = (make_label, make_note, make_span, make_review)


def value_pools(rng):
    """Per-field pools of realistic values (index = field index)."""
    return tuple(tuple(make(rng) for _ in range(POOL_SIZE)) for make in MAKERS)


def op_stream(rng, annotations, count):
    """A compact random write stream: (annotation, field, value) indices."""
    ann = array("I", rng.choices(range(annotations), k=count))
    fld = bytes(rng.choices(range(len(FIELDS)), k=count))
    val = array("H", rng.choices(range(POOL_SIZE), k=count))
    return ann, fld, val


def create_annotations(doc, n, rng, pools):
    """Create the N annotations locally (in one transaction); returns their Maps."""
    root = doc.get(ROOT, type=Map)
    with doc.transaction():
        for i in range(n):
            root[f"a{i:07d}"] = Map({f: rng.choice(pools[k]) for k, f in enumerate(FIELDS)})
    return [root[f"a{i:07d}"] for i in range(n)]


def replica_of(doc, client_id):
    """A new Doc holding the same state as `doc`, with its own client id."""
    other = Doc(client_id=client_id)
    other.get(ROOT, type=Map)
    other.apply_update(doc.get_update())
    root = other.get(ROOT, type=Map)
    n = len(root)
    return other, [root[f"a{i:07d}"] for i in range(n)]


def apply_writes(doc, maps, ops, pools, start, stop):
    """One write per transaction."""
    ann, fld, val = ops
    transaction = doc.transaction
    for i in range(start, stop):
        f = fld[i]
        m = maps[ann[i]]
        with transaction():
            m[FIELDS[f]] = pools[f][val[i]]


def snapshot(doc):
    return doc.get(ROOT, type=Map).to_py()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--annotations", type=int, default=10_000)
    p.add_argument("--operations", type=int, default=1_000_000)
    p.add_argument("--concurrent", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    n, ops_count, conc = args.annotations, args.operations, args.concurrent
    if n < 1 or ops_count < 1 or conc < 1:
        p.error("counts must be positive")

    t_start = time.perf_counter()
    print(f"pycrdt {pycrdt.__version__}", flush=True)

    rng = random.Random(args.seed)
    pools = value_pools(rng)
    init_seed = rng.getrandbits(64)
    ops = op_stream(rng, n, ops_count)

    # --- local_apply + memory_per_op -------------------------------------
    gc.collect()
    rss_before = rss_bytes()
    doc = Doc(client_id=1)
    maps = create_annotations(doc, n, random.Random(init_seed), pools)
    t0 = time.perf_counter()
    apply_writes(doc, maps, ops, pools, 0, ops_count)
    local_s = time.perf_counter() - t0
    gc.collect()
    rss_after = rss_bytes()
    print(f"local_apply ops={ops_count} seconds={local_s:.6f} ops_per_sec={ops_count / local_s:.1f}", flush=True)
    del doc, maps
    gc.collect()

    # --- remote_apply -----------------------------------------------------
    # Replay the first writes of the same stream on a fresh producer doc,
    # capturing each transaction's update (done separately so the observer
    # does not slow down the local_apply measurement).
    sample = min(ops_count, REMOTE_SAMPLE)
    producer = Doc(client_id=2)
    pmaps = create_annotations(producer, n, random.Random(init_seed), pools)
    receiver, _ = replica_of(producer, client_id=3)
    updates = []
    sub = producer.observe(lambda event: updates.append(event.update))
    apply_writes(producer, pmaps, ops, pools, 0, sample)
    producer.unobserve(sub)
    assert len(updates) == sample, f"expected {sample} updates, got {len(updates)}"
    apply_update = receiver.apply_update
    t0 = time.perf_counter()
    for u in updates:
        apply_update(u)
    remote_s = time.perf_counter() - t0
    if snapshot(receiver) != snapshot(producer):
        log("warning: remote replica differs from producer")
    print(f"remote_apply ops={sample} seconds={remote_s:.6f} ops_per_sec={sample / remote_s:.1f}", flush=True)
    del producer, pmaps, receiver, updates, apply_update
    gc.collect()

    # --- merge_concurrent -------------------------------------------------
    a = Doc(client_id=4)
    amaps = create_annotations(a, n, random.Random(init_seed), pools)
    b, bmaps = replica_of(a, client_id=5)
    apply_writes(a, amaps, op_stream(random.Random(args.seed * 2 + 1001), n, conc), pools, 0, conc)
    apply_writes(b, bmaps, op_stream(random.Random(args.seed * 2 + 1002), n, conc), pools, 0, conc)
    t0 = time.perf_counter()
    state_a = a.get_state()
    state_b = b.get_state()
    a.apply_update(b.get_update(state_a))
    b.apply_update(a.get_update(state_b))
    merge_s = time.perf_counter() - t0
    # Compare contents, not encoded state vectors (their byte order is not canonical).
    converged = snapshot(a) == snapshot(b)
    print(
        f"merge_concurrent ops_each={conc} seconds={merge_s:.6f} converged={'true' if converged else 'false'}",
        flush=True,
    )

    print(f"memory_per_op rss_bytes={(rss_after - rss_before) / ops_count:.1f}", flush=True)
    log(f"total {time.perf_counter() - t_start:.1f}s")


if __name__ == "__main__":
    main()
