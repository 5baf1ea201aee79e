"""Processes: every child dies with us (PR_SET_PDEATHSIG), is pinned to the server's or the client's
CPU, runs under a timeout, and is stopped by its PID at the end."""

import atexit
import ctypes
import os
import signal
import subprocess
import sys
import threading

PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)
children = []  # every process started and not yet stopped
pin = {"server": None, "client": None}  # the CPU of each role (main sets them)
nice = {"value": 0}  # the niceness of measured processes (main lowers it when root)


def _preexec(cpu):
    def fn():
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        if nice["value"]:
            try:
                os.nice(nice["value"])
            except OSError:
                pass

    return fn


def spawn(argv, role="server", **kw):
    p = subprocess.Popen(argv, preexec_fn=_preexec(pin[role]), **kw)
    children.append(p)
    return p


def run(argv, timeout, role="client", **kw):
    """subprocess.run with a timeout, pinned, dying with us."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    p = spawn(argv, role=role, **kw)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return subprocess.CompletedProcess(argv, -9, out, (err or b"") + b"\n[bench: timed out]")
    finally:
        if p in children:
            children.remove(p)
    return subprocess.CompletedProcess(argv, p.returncode, out, err)


def stop(p, grace=3.0):
    if p is None:
        return
    if p.poll() is None:
        try:
            p.terminate()
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
        except ProcessLookupError:
            pass
    if p in children:
        children.remove(p)


def stop_all():
    for p in list(children):
        try:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)
        except Exception:
            pass
    children.clear()


atexit.register(stop_all)


def _on_signal(signum, _frame):
    stop_all()
    sys.exit(128 + signum)

def read_line(stream, timeout):
    box = []
    t = threading.Thread(target=lambda: box.append(stream.readline()), daemon=True)
    t.start()
    t.join(timeout)
    return box[0].decode(errors="replace").strip() if box else None
