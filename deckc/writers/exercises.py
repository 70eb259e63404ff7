"""The nbgrader course writer: placeholder until the exercise emitter lands."""
from __future__ import annotations


def write_course(ctx):
    return []
