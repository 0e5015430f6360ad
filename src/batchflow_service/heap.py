"""The garbage collector's settings for a service process that keeps many objects for long.

CPython's full collection walks every container object it tracks: the modules, the app and,
with runs kept in memory, every stored run. Measured with 10,000 runs in memory, a page
request at a time (benchmarks/service_load.py), full collections came every few seconds and
each held the event loop for tens to hundreds of milliseconds: the service's p99. Freezing what
exists once the service has started takes it out of every later collection (the objects stay,
their reference counts still free them), and a larger first generation lets a request's
short-lived objects die before a collection promotes them towards a full one.
"""

import gc

FIRST_GENERATION_THRESHOLD = 10_000
"""Allocations between young collections (CPython's default: 700)."""


def settle_after_start() -> None:
    gc.freeze()
    young, middle, oldest = gc.get_threshold()
    gc.set_threshold(max(young, FIRST_GENERATION_THRESHOLD), middle, oldest)
