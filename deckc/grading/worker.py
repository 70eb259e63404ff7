"""A local grading worker: ``python -m deckc.grading.worker``, driven by JSON lines on stdin/stdout.

The main process (run.py, through pool.py) starts N of these, each (as root) inside
``unshare --net --pid --ipc --mount --fork --kill-child``: no network but loopback, and this
process is PID 1 of its own PID namespace, so nothing a submission starts survives it
(processes.py). It imports nbgrader once, then grades many submissions, one at a time, with the
per-submission unit of grader.py.

Messages (one JSON object a line, _protocol.py; records as records.to_json makes them):
  {"op": "init", "definition": AssignmentDef, "sandbox": Sandbox, "scratch": path}
      -> {"ok": true, "ready": WorkerReady} | {"ok": false, "error": text}
  {"op": "grade", "job": GradeJob} -> {"ok": true, "result": StudentResult}
  end of input ends the worker.
"""
from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path

sys.modules.setdefault("rfc3987_syntax", None)   # see deckc/nbgrader/command.py: NBGRADER_MAIN

MAX_JOB_BYTES = 512 * 1024 * 1024      # one message from the main process (a job may carry its files)


def handle(grader, message: dict):
    """One message -> (grader, reply)."""
    from .grader import Grader
    from .records import AssignmentDef, GradeJob, Sandbox, StudentResult, from_json, to_json

    op = message.get("op")
    if op == "init":
        grader = Grader(from_json(AssignmentDef, message["definition"]), from_json(Sandbox, message["sandbox"]),
                        Path(message["scratch"]))
        return grader, {"ok": True, "ready": to_json(grader.setup())}
    if op == "grade":
        job = from_json(GradeJob, message["job"])
        try:
            result = grader.grade(job)
        except Exception as e:  # noqa: BLE001 - one student's failure is reported, not fatal
            traceback.print_exc()
            grader.kill_others()
            result = StudentResult(job.student, ok=False, error=f"{type(e).__name__}: {e}")
        return grader, {"ok": True, "result": to_json(result)}
    return grader, {"ok": False, "error": f"unknown op {op!r}"}


def main():
    from . import _protocol

    out = os.dup(1)
    os.dup2(2, 1)        # anything printed by nbgrader or a grade cell replay goes to the log
    log = logging.getLogger()
    log.setLevel(logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[worker %(process)d %(levelname)s] %(message)s"))
    log.addHandler(handler)
    import nbgrader.converters  # noqa: F401 - the slow import, while the main process prepares
    grader = None
    for message in _protocol.Reader(0, MAX_JOB_BYTES, chunk=1 << 20):
        try:
            grader, reply = handle(grader, message)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        _protocol.write(out, reply)


if __name__ == "__main__":
    main()
