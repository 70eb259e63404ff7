"""Lessons of a folder built side by side, each in its own forked process (deckc/forked.py).

Each child starts from this process's memory, where the writers' libraries are already
imported (prepare_writers), so no lesson pays for them again. Children die with this process
(PR_SET_PDEATHSIG); when it is interrupted it asks each running child to stop (SIGTERM: the
child removes its staging folder and reaps its writers), waits a moment, then kills.
"""
from __future__ import annotations

import selectors

from .forked import STOP_GRACE   # seconds a stopped lesson gets to clean up before it is killed


def run_parallel(fn, arglists: list[tuple], jobs: int, on_crash, advance=None) -> list:
    """fn(*args) for each args, at most `jobs` at once; results in the order of arglists.
    on_crash(args, exc) stands in for the result of a child that died without one."""
    from .forked import start

    results: list = [None] * len(arglists)
    pending = list(range(len(arglists)))
    running: dict = {}
    sel = selectors.DefaultSelector()
    try:
        while pending or running:
            while pending and len(running) < jobs:
                i = pending.pop(0)
                child = start(fn, *arglists[i])
                running[child] = i
                sel.register(child.fileno(), selectors.EVENT_READ, child)
            for key, _ in sel.select():
                child = key.data
                sel.unregister(child.fileno())
                i = running.pop(child)
                try:
                    results[i] = child.result()
                except Exception as exc:  # noqa: BLE001 - that lesson failed; the others go on
                    results[i] = on_crash(arglists[i], exc)
                if advance is not None:
                    advance()
    except BaseException:
        for child in running:
            child.terminate()
        for child in running:
            child.wait(STOP_GRACE)
        raise
    finally:
        sel.close()
    return results
