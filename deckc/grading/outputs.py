"""Cell outputs capped in bytes while nbgrader's autograde runs the kernel.

nbgrader's LimitOutput counts lines, after the whole output is in memory: a cell printing 300 MB
on one line lands in autograded/ whole and the grading process holds it all. CappedExecute
(nbgrader's Execute, the preprocessor that runs the kernel) counts the bytes of each output
message as it arrives and keeps at most CELL_BYTES per cell and NOTEBOOK_BYTES per notebook:
a stream message is cut to what is left (and a note says so, once per cell), any other output
(display data, results, errors) that does not fit is dropped. What is dropped is never held,
so the grading process's memory stays bounded by the caps (plus one message in flight).

``install(config)`` puts CappedExecute in place of Execute in Autograde's preprocessors.
"""
from __future__ import annotations

from nbgrader.preprocessors import Execute
from traitlets import Integer

CELL_BYTES = 1024 * 1024
NOTEBOOK_BYTES = 4 * 1024 * 1024
NOTE = "\n[deckc grade: output truncated here: more than {limit} of output]\n"
SIZED = ("stream", "display_data", "execute_result", "error", "update_display_data")


def _size(content) -> int:
    """Bytes of an output message's content (text, data and tracebacks), without serialising it."""
    if not isinstance(content, dict):
        return 0
    total = 0
    stack = [content]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            total += len(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
    return total


def _human(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


class CappedExecute(Execute):
    cell_bytes = Integer(CELL_BYTES, help="most bytes of output kept per cell").tag(config=True)
    notebook_bytes = Integer(NOTEBOOK_BYTES, help="most bytes of output kept per notebook").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._used_notebook, self._used_cell, self._noted = 0, {}, set()
        return super().preprocess(nb, resources, km)

    def process_message(self, msg, cell, cell_index):
        msg_type = msg.get("msg_type") or msg.get("header", {}).get("msg_type")
        if msg_type in SIZED:
            if not self._admit(msg, msg_type, cell, cell_index):
                return None
        return super().process_message(msg, cell, cell_index)

    def _admit(self, msg, msg_type, cell, cell_index) -> bool:
        content = msg.get("content", {})
        size = _size(content)
        used = self._used_cell.get(cell_index, 0)
        left = min(self.cell_bytes - used, self.notebook_bytes - self._used_notebook)
        if size <= left:
            self._used_cell[cell_index] = used + size
            self._used_notebook += size
            return True
        limit = _human(self.cell_bytes if self.cell_bytes - used <= self.notebook_bytes - self._used_notebook
                       else self.notebook_bytes)
        if msg_type == "stream" and isinstance(content.get("text"), str) and left > 0:
            content["text"] = content["text"][:left] + NOTE.format(limit=limit)
            self._noted.add(cell_index)
            self._used_cell[cell_index] = used + left
            self._used_notebook += left
            return True
        if cell_index not in self._noted and msg_type != "update_display_data":
            self._noted.add(cell_index)
            cell.outputs.append(_note(limit))
        return False


def _note(limit: str):
    from nbformat.v4 import new_output
    return new_output("stream", name="stdout", text=NOTE.format(limit=limit).lstrip("\n"))


def install(config) -> None:
    """Autograde runs the kernel through CappedExecute (everything else as nbgrader has it)."""
    from nbgrader.converters import Autograde

    current = config.Autograde.get("autograde_preprocessors") or Autograde.class_traits()["autograde_preprocessors"].default()
    config.Autograde.autograde_preprocessors = [CappedExecute if p in (Execute, "nbgrader.preprocessors.Execute")
                                                else p for p in current]
