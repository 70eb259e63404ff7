"""The next notebook's kernel boots while the current notebook runs (one submission at a time).

Within one submission, when notebook N's kernel is started, the kernel of notebook N+1 is
started too, through the same kernelspec (the jail), with the same environment (this
submission's uid) and the same working folder; nbclient then takes it for notebook N+1 instead
of starting one. Each kernel still runs one notebook only, and after every notebook every
other process is killed as before, except the one waiting kernel (``keep``). A waiting kernel
never outlives its submission: ``discard`` ends it when the submission's kernel stage ends.

Everything happens in the worker's main thread: a kernel started from a thread that later
exits would be killed by the jail's PR_SET_PDEATHSIG (it fires when the *thread* that forked
the launcher ends), and a kernel the watchdog killed is noticed (``is_alive``) and replaced by
a fresh start. ``DECKC_GRADE_PRESTART=0`` turns this off (one kernel start per notebook).
"""
from __future__ import annotations

import os


def enabled() -> bool:
    return os.environ.get("DECKC_GRADE_PRESTART", "1").strip() not in ("0", "no", "off", "false")


class KernelPool:
    """At most one started, not yet used kernel: (kernel manager, working folder)."""

    def __init__(self):
        self.waiting = None

    def pids(self) -> set[int]:
        """The waiting kernel's launcher (kill_others spares it and what it started)."""
        if self.waiting is None:
            return set()
        pid = getattr(getattr(self.waiting[0], "provisioner", None), "pid", None)
        return {pid} if pid else set()

    def start(self, make_km, cwd: str, extra_arguments: list) -> None:
        """Start the next notebook's kernel now (main thread; nbclient's own run_sync loop)."""
        from jupyter_core.utils import run_sync

        self.discard()
        km = make_km()
        run_sync(km.start_kernel)(extra_arguments=list(extra_arguments), cwd=cwd)
        self.waiting = (km, cwd)

    def take(self, cwd: str):
        """The waiting kernel if it was started for this folder and is alive, else None."""
        from jupyter_core.utils import run_sync

        if self.waiting is None:
            return None
        km, where = self.waiting
        self.waiting = None
        if where == cwd and run_sync(km.is_alive)():
            return km
        _shutdown(km)
        return None

    def discard(self) -> None:
        if self.waiting is not None:
            km, self.waiting = self.waiting[0], None
            _shutdown(km)


def _shutdown(km) -> None:
    from jupyter_core.utils import run_sync

    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - already dead: kill_others reaps what is left
        pass


def pooled_execute(execute_cls, pool: KernelPool, has_next):
    """nbgrader's Execute preprocessor taking its kernel from `pool` and starting the next one
    (when `has_next()`: another notebook of this submission follows)."""

    class PooledExecute(execute_cls):
        def create_kernel_manager(self):
            from jupyter_core.utils import run_sync

            cwd = (self.resources or {}).get("metadata", {}).get("path") or os.getcwd()
            km = pool.take(cwd)
            if km is None:
                km = super().create_kernel_manager()
                run_sync(km.start_kernel)(extra_arguments=list(self.extra_arguments), cwd=cwd)
            self.km = km
            if has_next():
                # the kernel this notebook got names the spec (self.kernel_name is only set by
                # nbclient when it makes the manager itself: '' for a kernel from the pool)
                name = km.kernel_name
                try:
                    pool.start(lambda: self.kernel_manager_class(kernel_name=name, config=self.config), cwd,
                               self.extra_arguments)
                except Exception as e:  # noqa: BLE001 - this notebook has its kernel; the next starts its own
                    self.log.warning("pre-starting the next notebook's kernel failed: %s", e)
            return km

    return PooledExecute
