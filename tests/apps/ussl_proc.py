"""Start ussl-server on 127.0.0.1 port 0, read the port it announces, stop it: the one launcher shared by
the program tests (tests/apps/test_apps.py's harness and the files built on it, test_bench.py) and the
benchmark (bench/usslbench).

ussl-server prints its listening line before it accepts: with --json `{"event":"listening","port":P,...}`,
without it a line ending in `:P`. Its stdout goes either to pipes read by two threads (the tests: every
line kept in memory, waited on) or to a file (the benchmark: no reader in the harness competing with the
measured server; the file is polled). Every wait is bounded; stop() and kill() act on this process's PID
only.
"""

import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time

START_TIMEOUT = 10.0  # seconds for the listening line


def wait_port(port, proc, timeout=START_TIMEOUT, interval=0.02):
    """True once 127.0.0.1:`port` accepts a TCP connection; False if `proc` (a Popen) exits first or
    `timeout` s pass. For peers that print no listening line (openssl, gnutls-serv, daemons)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(interval)
    return False


class ServerStartError(RuntimeError):
    """ussl-server exited or stayed silent before announcing its port."""


def parse_listening(line, json_mode):
    """(port, address) from ussl-server's listening line."""
    if json_mode:
        event = json.loads(line)
        if event.get("event") != "listening":
            raise ServerStartError(f"first line is not the listening event: {line!r}")
        return event["port"], event.get("address")
    return int(line.rstrip().rsplit(":", 1)[1]), None


class UsslServer:
    """One ussl-server process. `argv` is the whole command line (the caller puts `--port 0` in it).

    json_mode: the listening line (and events) are JSON. log_path: write stdout to this file (stderr to
    log_path + ".err") instead of pipes. popen: how to start it (the benchmark passes its own, which pins
    the process and makes it die with the harness)."""

    def __init__(self, argv, *, json_mode=True, start_timeout=START_TIMEOUT, log_path=None, popen=None,
                 **popen_kw):
        self.argv = list(argv)
        self.json_mode = json_mode
        self.log_path = log_path
        self.lines = []
        self.stderr = []
        self._queue = queue.Queue()
        self._lock = threading.Lock()
        self._readers = []
        self._files = []
        popen = popen or subprocess.Popen
        popen_kw.setdefault("stdin", subprocess.DEVNULL)
        if log_path:
            out = open(log_path, "w")
            err = open(log_path + ".err", "w")
            self._files = [out, err]
            self.proc = popen(self.argv, stdout=out, stderr=err, **popen_kw)
        else:
            self.proc = popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen_kw)
            self._readers = [threading.Thread(target=self._read_stdout, daemon=True),
                             threading.Thread(target=self._read_stderr, daemon=True)]
            for reader in self._readers:
                reader.start()
        first = self.next_line(start_timeout)
        if first is None:
            self.kill()
            raise ServerStartError(f"{os.path.basename(self.argv[0])} printed no listening line within "
                                   f"{start_timeout:g} s (exit {self.proc.returncode}); stderr:\n"
                                   + self.stderr_text()[-2000:])
        try:
            self.port, self.address = parse_listening(first, json_mode)
        except (ValueError, KeyError, IndexError, ServerStartError):
            self.kill()
            raise
        self.listening_line = first

    # --- output ---------------------------------------------------------------

    def _read_stdout(self):
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def _file_lines(self):
        with open(self.log_path) as f:
            text = f.read()
        # Only complete lines: the server may be in the middle of writing the last one.
        return text.splitlines(keepends=True)[: text.count("\n")]

    def next_line(self, timeout):
        """The next stdout line (the first call: the listening line), or None after `timeout` s or at EOF."""
        if not self.log_path:
            try:
                return self._queue.get(timeout=timeout)
            except queue.Empty:
                return None
        end = time.monotonic() + timeout
        seen = len(self.lines)
        while time.monotonic() < end:
            lines = self._file_lines()
            if len(lines) > seen:
                with self._lock:
                    self.lines = lines
                return lines[seen]
            if self.proc.poll() is not None:
                return None
            time.sleep(0.02)
        return None

    def text(self):
        if self.log_path:
            return "".join(self._file_lines())
        with self._lock:
            return "".join(self.lines)

    def stderr_text(self):
        if self.log_path:
            try:
                with open(self.log_path + ".err") as f:
                    return f.read()
            except OSError:
                return ""
        return "".join(self.stderr)

    def events(self):
        """Every JSON line printed so far."""
        if self.log_path:
            return [json.loads(line) for line in self._file_lines() if line.strip()]
        with self._lock:
            return [json.loads(line) for line in self.lines if line.strip()]

    def handshakes(self):
        """The "handshake" events so far in accept order (by `conn`): lines of different connections
        may leave in another order when several loops serve them (docs/cli.md)."""
        return sorted((e for e in self.events() if e.get("event") == "handshake"), key=lambda e: e["conn"])

    def wait_for(self, predicate, timeout=10):
        """Waits until some event satisfies predicate; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events():
                if predicate(event):
                    return event
            time.sleep(0.02)
        raise AssertionError(f"no matching event within {timeout}s; events: {self.events()}")

    # --- the process ----------------------------------------------------------

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def wait(self, timeout=15):
        rc = self.proc.wait(timeout=timeout)
        if self._readers:
            self._readers[0].join(timeout=5)  # stdout reaches EOF: every line is in
        return rc

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Sends `sig` (SIGTERM: a graceful stop) and waits for the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def terminate(self, grace=3.0):
        """SIGTERM, then SIGKILL after `grace` s; never raises."""
        if self.proc.poll() is None:
            try:
                self.proc.terminate()
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
            except ProcessLookupError:
                pass
        self.kill()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for reader in self._readers:
            reader.join(timeout=5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        for f in self._files:
            f.close()
