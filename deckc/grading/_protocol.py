"""The one JSON-lines message protocol of the grader, with bounds.

Every pipe of ``deckc grade`` carries one JSON object per line: the main process <-> its
grading workers (records.to_json of a GradeJob, a StudentResult, ...), and the checking runner
-> the worker (its events; see _runner.py). This module is the only code that frames, writes
and reads those lines. It is standard library only: the runner loads it by path inside the
jail, next to itself.

Everything read is bounded: a line longer than the reader's limit is dropped unread (never
held whole), JSON nested deeper than MAX_JSON_DEPTH is refused (deep nesting would otherwise
raise RecursionError in the reader), and anything that is not a JSON object is not a message.
A reader counts what it dropped, so a peer that must not send such lines can be judged broken.
"""
import json
import os

MAX_LINE = 32 * 1024 * 1024          # one message of the checking runner
MAX_JSON_DEPTH = 64                  # JSON nesting of one message


def encode(message) -> bytes:
    """One message as its line."""
    return (json.dumps(message, separators=(",", ":")) + "\n").encode()


def write(fd, message) -> None:
    """Write one message to a file descriptor, whole (a pipe may take it in parts)."""
    data = encode(message)
    while data:
        n = os.write(fd, data)
        data = data[n:]


def read_message(line, max_line=None):
    """One message line -> a dict, or None if it is not a well-formed, bounded message."""
    if not isinstance(line, (bytes, str)) or len(line) > (max_line or MAX_LINE):
        return None
    try:
        message = json.loads(line)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    if not isinstance(message, dict) or _json_depth(message) > MAX_JSON_DEPTH:
        return None
    return message


class LineReader:
    """Splits a byte stream into lines, dropping any line longer than max_line without keeping it."""

    def __init__(self, max_line=None):
        self.max_line = max_line or MAX_LINE
        self.parts, self.size, self.dropping, self.dropped = [], 0, False, 0

    def feed(self, chunk):
        lines = []
        while chunk:
            nl = chunk.find(b"\n")
            part, chunk = (chunk, b"") if nl < 0 else (chunk[:nl], chunk[nl + 1:])
            if not self.dropping:
                self.parts.append(part)
                self.size += len(part)
                if self.size > self.max_line:
                    self.parts, self.size, self.dropping = [], 0, True
            if nl >= 0:
                if self.dropping:
                    self.dropped += 1
                else:
                    lines.append(b"".join(self.parts))
                self.parts, self.size, self.dropping = [], 0, False
        return lines


class Reader:
    """Messages from a file descriptor, as they arrive: read() reads once (call it when the fd
    is readable) and returns the complete messages, or None at end of file. `dropped` counts
    the lines that were too long or not a message, `total` the bytes read."""

    def __init__(self, fd, max_line=None, chunk=1 << 16):
        self.fd, self.chunk = fd, chunk
        self.lines = LineReader(max_line)
        self.bad = 0
        self.total = 0                 # bytes read so far

    @property
    def dropped(self) -> int:
        return self.lines.dropped + self.bad

    def read(self):
        data = os.read(self.fd, self.chunk)
        if not data:
            return None
        self.total += len(data)
        out = []
        for line in self.lines.feed(data):
            if not line.strip():
                continue
            message = read_message(line, self.lines.max_line)
            if message is None:
                self.bad += 1
            else:
                out.append(message)
        return out

    def __iter__(self):
        """Every message until end of file (blocking)."""
        while True:
            messages = self.read()
            if messages is None:
                return
            yield from messages


def _json_depth(value):
    """Nesting depth of parsed JSON, iteratively (no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_JSON_DEPTH:
                return deepest
        if isinstance(v, dict):
            stack.extend((x, depth + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)
    return deepest
