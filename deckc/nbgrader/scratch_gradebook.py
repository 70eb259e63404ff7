"""A grading worker's private gradebook: one engine for the process, the schema checked once,
no fsync.

Every ``Gradebook(url)`` of nbgrader makes a SQLAlchemy engine, lists the tables, runs
``create_all`` (a query per table), and disposes the engine on close; nbgrader's autograde opens
~15 per submission and deckc 3 more (open_gradebook also checks the tables first). For the one
URL a worker's private gradebook has (a SQLite copy of the template, in the worker's scratch),
``install(url)`` makes these cheap in this process: the same engine and its open connection for
every Gradebook, the tables listed and created once, and SQLite's ``synchronous=OFF``.

Nothing else changes: other URLs (the real gradebook) go through nbgrader exactly as before.
If nbgrader's internals move, install() returns False and only speed is lost.
"""
from __future__ import annotations

_state: dict = {}          # "url", "engine", "tables" (None until the schema was checked)


def install(db_url: str) -> bool:
    """For `db_url` (a worker's private SQLite gradebook, already written): the shared engine."""
    from nbgrader import api
    from sqlalchemy import create_engine, event

    if not (hasattr(api, "create_engine") and hasattr(api, "inspect") and hasattr(api.Gradebook, "close")):
        return False
    if _state.get("engine") is not None:
        _state["engine"].dispose()
    engine = create_engine(db_url, future=True)

    @event.listens_for(engine, "connect")
    def _no_fsync(dbapi_connection, _record):
        # This database is throwaway: a worker writes it from the template when it starts, and a
        # worker that dies is replaced by one that starts over, so waiting for the disk protects
        # nothing. NEVER for the real gradebook (merge.py's), which keeps SQLite's defaults.
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    _state.update(url=str(db_url), engine=engine, tables=None)
    if not _state.get("patched"):
        _patch(api)
        _state["patched"] = True
    return True


def is_private(db_url: str) -> bool:
    """True for the installed private URL once its schema was checked (open_gradebook skips its own check)."""
    return _state.get("url") == str(db_url) and _state.get("tables") is not None


def _patch(api) -> None:
    create_engine, inspect, close = api.create_engine, api.inspect, api.Gradebook.close
    metadata = api.Base.metadata
    create_all = metadata.create_all

    def shared_create_engine(url, *args, **kwargs):
        return _state["engine"] if str(url) == _state.get("url") else create_engine(url, *args, **kwargs)

    class KnownTables:
        def __init__(self, names):
            self.names = names

        def get_table_names(self, *args, **kwargs):
            return list(self.names)

    def cached_inspect(subject, *args, **kwargs):
        if subject is _state.get("engine") and _state.get("tables") is not None:
            return KnownTables(_state["tables"])
        return inspect(subject, *args, **kwargs)

    def create_all_once(bind=None, *args, **kwargs):
        if bind is not None and bind is _state.get("engine"):
            if _state.get("tables") is not None:
                return None
            create_all(bind, *args, **kwargs)
            _state["tables"] = inspect(bind).get_table_names()
            return None
        return create_all(bind, *args, **kwargs)

    def close_keeping_engine(self):
        if getattr(self, "engine", None) is _state.get("engine"):
            self.db.remove()          # the session ends; the engine and its connection stay for the next
            return
        close(self)

    api.create_engine, api.inspect, api.Gradebook.close = shared_create_engine, cached_inspect, close_keeping_engine
    metadata.create_all = create_all_once
