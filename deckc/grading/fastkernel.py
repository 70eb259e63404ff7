"""Two fixed waits of jupyter_client, shortened for the grading worker (grades are unaffected).

A grading worker starts and stops one kernel per notebook, and two waits of jupyter_client are
idle time on every one of them, ~0.3 s per notebook (a tenth of a typical notebook's grading):

- after the kernel_info reply, ``wait_for_ready`` drains IOPub until it has been quiet for
  200 ms. deckc's client drains until 20 ms of quiet: nbclient matches every output to the
  request that caused it (``parent_header``), so a late start-up message is ignored anyway;
- after killing a kernel, the manager polls whether it is gone every 100 ms; here every 5 ms.

``install(config)`` applies both in the calling process (the worker); nothing else changes.
If jupyter_client's internals move, the patches are skipped and only speed is lost.
"""
from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager, KernelManager

QUIET = 0.02
POLL = 0.005


class FastAsyncKernelClient(AsyncKernelClient):
    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """jupyter_client's protocol (kernel_info until the reply and one IOPub message, then
        drain IOPub), with a 20 ms quiet period for the drain."""
        abs_timeout = time.time() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.time() > abs_timeout:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=QUIET)
            except Empty:
                break


def install(config) -> bool:
    """Use the faster client and kill polling in this process; False if jupyter_client changed."""
    if not (hasattr(AsyncKernelClient, "_handle_kernel_info_reply") and hasattr(AsyncKernelClient, "_async_is_alive")
            and hasattr(KernelManager, "_async_wait")):
        return False
    config.AsyncKernelManager.client_factory = FastAsyncKernelClient
    original = KernelManager._async_wait

    async def _async_wait(self, pollinterval: float = POLL) -> None:
        await original(self, pollinterval=min(pollinterval, POLL))

    AsyncKernelManager._async_wait = _async_wait
    return True
