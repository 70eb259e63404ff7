"""The lesson's reference implementation, loaded from `exercises/*/solution.py`.

Charts must call the same `rnn_step` / `attention` the students implement, so we import
each solution file by path (no sys.path or sys.modules changes) and expose its public
functions by name: `ref.rnn_step`, `ref.get("attention")`, `"softmax" in ref`.
"""
from __future__ import annotations

import hashlib
import importlib.util
import inspect
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator

SOLUTION_FILE = "solution.py"


class ReferenceLookupError(LookupError, AttributeError):
    """A reference function or the exercises folder is missing.

    Also an AttributeError so `getattr(ref, name, default)` and `hasattr` keep working.
    """


class Reference:
    """Public functions of every exercise solution, by name."""

    def __init__(self, root: Path, functions: dict[str, Callable], sources: dict[str, Path]):
        self._root = root
        self._functions = dict(functions)
        self._sources = dict(sources)

    @property
    def root(self) -> Path:
        return self._root

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._functions))

    def source(self, name: str) -> Path:
        """The solution.py that defines `name`."""
        self.get(name)
        return self._sources[name]

    def get(self, name: str) -> Callable:
        try:
            return self._functions[name]
        except KeyError:
            searched = ", ".join(str(p) for p in sorted(set(self._sources.values()))) or "none"
            raise ReferenceLookupError(
                f"reference function {name!r} not found: no {self._root}/*/{SOLUTION_FILE} defines it "
                f"(searched: {searched}; available: {', '.join(self.names) or 'none'})"
            ) from None

    def __getattr__(self, name: str) -> Callable:
        # Dunders and private names go through normal attribute rules (copy, pickle, repr...).
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._functions

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __repr__(self) -> str:
        return f"Reference({str(self._root)!r}, {list(self.names)})"


_CACHE: dict[Path, Reference] = {}


def load_reference(exercises_dir: Path) -> Reference:
    """Import every `<exercises_dir>/*/solution.py` and collect its public functions.

    Cached per resolved path. Raises ReferenceLookupError (a LookupError) when the folder
    or every solution file is missing, ValueError when two solutions define the same name.
    """
    root = Path(exercises_dir).resolve()
    if root not in _CACHE:
        _CACHE[root] = _load(root)
    return _CACHE[root]


def clear_cache() -> None:
    _CACHE.clear()


def _load(root: Path) -> Reference:
    if not root.is_dir():
        raise ReferenceLookupError(f"exercises folder not found: {root}")
    files = sorted(root.glob(f"*/{SOLUTION_FILE}"))
    if not files:
        raise ReferenceLookupError(f"no exercise solutions found: {root}/*/{SOLUTION_FILE} matches nothing")
    functions: dict[str, Callable] = {}
    sources: dict[str, Path] = {}
    for path in files:
        module = _import_file(path)
        for name, fn in _public_functions(module):
            if name in functions:
                # One reference implementation per name: a second copy could silently diverge.
                raise ValueError(f"reference function {name!r} is defined twice: {sources[name]} and {path}")
            functions[name] = fn
            sources[name] = path
    return Reference(root, functions, sources)


def _import_file(path: Path) -> ModuleType:
    # Unique per file so two exercises' modules never collide; not added to sys.modules.
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    spec = importlib.util.spec_from_file_location(f"deckc_ref_{path.parent.name}_{digest}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import reference solution {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _public_functions(module: ModuleType) -> Iterator[tuple[str, Callable]]:
    # Only functions defined in the solution itself, not ones it imported (np.tanh, etc.).
    for name, obj in vars(module).items():
        if not name.startswith("_") and inspect.isfunction(obj) and obj.__module__ == module.__name__:
            yield name, obj
