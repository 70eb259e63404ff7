"""The launcher's side of the fork server: ``jail.py`` asks the worker's zygote for the process.

Standard library only, loaded by path from jail.py (``python -I -S``). jail.py is still the
process jupyter_client (or the checking runner's caller) started and watches: it hands the
zygote its request (the jail's argv, working folder, environment) and its stdin/stdout/stderr
(SCM_RIGHTS), and the zygote forks a copy of itself that enters the same jail (jail.main) and
runs the kernel or runner there. This process then stands in for that child:

- a signal it gets (SIGINT from ``interrupt_kernel``, SIGTERM, SIGHUP, SIGQUIT) is passed on;
- when the child ends, it exits with the child's status (``is_alive``, the exit code);
- when it is killed itself (``kill`` of the kernel manager, ``kill_others``, the death of
  whoever started it), its connection closes and the zygote kills the child at once.

``run`` returns (and jail.py goes on to exec the process itself, today's path) whenever the
zygote cannot start it: no socket, the zygote gone or refusing, no answer in HANDSHAKE_S.
"""
import json
import os
import signal
import socket
import struct

HANDSHAKE_S = 10.0
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def _status_exit(status):
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def _lines(sock, buf):
    """(line, rest) of the next newline-ended line from sock; (None, b"") at end of stream."""
    while b"\n" not in buf:
        try:
            data = sock.recv(4096)
        except InterruptedError:
            continue
        if not data:
            return None, b""
        buf += data
    line, _, rest = buf.partition(b"\n")
    return line.decode("ascii", "replace"), rest


def run(path, argv, keep):
    """Have the zygote at socket `path` run jail.py's `argv`; exits with its status, or returns
    if the zygote did not start it. Of the environment only the names in `keep` are sent: the
    child is a fork, and what the zygote received stays in its memory, readable by student code
    (an exec'd kernel gets the jail's scrubbed environment and nothing else of the launcher's)."""
    if not path or len(path) > 107:
        return
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(HANDSHAKE_S)
    try:
        sock.connect(path)
        env = {k: v for k, v in os.environ.items() if k in keep}
        request = json.dumps({"argv": list(argv), "cwd": os.getcwd(), "env": env}).encode()
        header = struct.pack("!I", len(request))
        socket.send_fds(sock, [header + request], [0, 1, 2])
        line, buf = _lines(sock, b"")
    except (OSError, ValueError):
        sock.close()
        return
    if line is None or not line.startswith("pid "):
        sock.close()                     # "fallback <why>" or nothing: run it ourselves
        return
    sock.settimeout(None)

    def forward(signum, _frame):
        try:
            sock.sendall(f"sig {signum}\n".encode())
        except OSError:
            pass

    for sig in FORWARDED:
        signal.signal(sig, forward)
    while True:
        line, buf = _lines(sock, buf)
        if line is None:                 # the zygote is gone: so is the child (PR_SET_PDEATHSIG)
            os._exit(128 + signal.SIGKILL)
        if line.startswith("exit "):
            try:
                status = int(line[5:])
            except ValueError:
                os._exit(1)
            _status_exit(status)
