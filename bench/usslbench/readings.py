"""Readings: CPU time and memory of a process from /proc, the load average, the machine, and the parsing
of perf and massif output."""

import os
import platform
import re
import subprocess

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of the process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    fields = s[s.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def sched_seconds(pid):
    """Time on CPU from schedstat (ns resolution), summed over the threads."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
    except OSError:
        return None
    return total / 1e9


def server_cpu_seconds(pid):
    """Time on CPU from schedstat (ns resolution), else utime + stime: a 10% criterion on a few tenths of a
    second needs finer steps than the clock tick's 10 ms."""
    s = sched_seconds(pid)
    return s if s is not None else cpu_seconds(pid)


def memory_kb(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "VmHWM"):
                out[k] = int(v.split()[0])
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Pss", "Pss_Anon"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


PERF_CLASSES = [
    ("event loop: epoll and the loop's bookkeeping",
     r"\b(ep_poll|ep_send_events|ep_item_poll|do_epoll_wait|do_epoll_ctl|__x64_sys_epoll_wait|__x64_sys_epoll_ctl|"
     r"ep_insert|ep_remove|ep_modify|sock_poll|tcp_poll|fdget|__fget_light|Worker::loop|Worker::settle|"
     r"Worker::interest|Worker::expire_timers|Worker::next_deadline|Worker::touch|Worker::set_timer|"
     r"Worker::observe_server|Worker::reap)\b"),
    ("JSON / logging of events (nlohmann, fmt, spdlog)", r"nlohmann|fmt::|spdlog|print_json|dump_escaped"),
    ("kernel: network stack, syscalls, scheduler", r"\[k\]"),
    ("dynamic loader (start-up)", r"^ld-linux"),
    ("malloc / free / memcpy (libc)", r"^libc\.so\S*\s+\[\.\] .*(malloc|free|memmove|memcpy|memset|cfree|realloc|"
     r"calloc|_int_)"),
    ("other libc", r"^libc\.so"),
    ("ussl library and app (other)", r"\bussl::"),
    ("C++ runtime", r"^libstdc\+\+|std::|__cxx|operator new|operator delete"),
    ("wolfSSL (TLS + crypto)", r"^(libwolfssl|ussl-server|ussl-client|ussl-bench)"),
]


def perf_breakdown(text):
    totals = {}
    for ln in text.splitlines():
        m = re.match(r"^\s*(\d+\.\d+)%\s+(\S+)\s+(\[.\])\s+(.*)$", ln)
        if not m:
            continue
        pctv, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4)
        key = f"{dso} {kind} {sym}"
        for label, pat in PERF_CLASSES:
            if re.search(pat, key):
                break
        else:
            label = "other"
        totals[label] = totals.get(label, 0.0) + pctv
    return [f"{v:6.2f}%  {k}" for k, v in sorted(totals.items(), key=lambda kv: -kv[1]) if v >= 0.5]


def _short_fn(fn):
    fn = re.sub(r"^0x[0-9A-Fa-f]+: ", "", fn)
    fn = re.sub(r"\(in (/[^)]*/)?([^/)]+)\)$", r"(in \2)", fn)
    if "::" in fn:  # drop C++ parameter lists
        prev = None
        while prev != fn:
            prev = fn
            fn = re.sub(r"\((?:[^()])*\)(?= const| \(|$)", "()", fn, count=1) if "(in " not in fn else re.sub(
                r"::(\w+)\((?:[^()]|\([^()]*\))*\)( const)?", r"::\1()", fn)
    return fn[:140]


def parse_massif_peak(text, n):
    """The top-level branches of the peak snapshot's allocation tree, with each one's first caller."""
    m = re.search(r"(\d+) \(peak\)", text)
    if not m:
        return []
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if re.match(r"^\s+" + m.group(1) + r"\s+[\d,]+\s+[\d,]+", ln)),
                 None)
    if start is None:
        return []
    entries = []
    total = re.match(r"^\s+\d+\s+[\d,]+\s+([\d,]+)", lines[start]).group(1)
    for ln in lines[start + 1:]:
        if ln.startswith("-----"):
            break
        mm = re.match(r"^((?:\| |  )*)->(\d+\.\d+)% \(([\d,]+)B\) (.*)$", ln)
        if not mm:
            continue
        depth = len(mm.group(1)) // 2
        if depth <= 1:
            entries.append((depth, float(mm.group(2)), int(mm.group(3).replace(",", "")), _short_fn(mm.group(4))))
    out = [f"peak heap {total} B with {n} idle connections held; largest allocation sites (B per held connection = "
           f"bytes / {n}):"]
    for k, (d, pc, b, fn) in enumerate(entries):
        if d != 0:
            continue
        child = entries[k + 1][3] if k + 1 < len(entries) and entries[k + 1][0] == 1 else ""
        out.append(f"{pc:6.2f}% {b:>11,} B {b / n:>8,.0f} B/conn  {fn}" + (f"  <- {child}" if child else ""))
        if len(out) > 14:
            break
    return out


def machine_info():
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        r = subprocess.run(["lscpu"], capture_output=True, timeout=10, text=True)
        for ln in r.stdout.splitlines():
            k, _, v = ln.partition(":")
            if k.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "Hypervisor vendor", "L3 cache",
                             "CPU max MHz", "Virtualization type"):
                info[k.strip()] = v.strip()
            if k.strip() == "Flags":
                fl = v.split()
                info["flags (selection)"] = " ".join(x for x in ("aes", "pclmulqdq", "vaes", "vpclmulqdq", "avx2",
                                                                  "avx512f", "sha_ni", "adx", "bmi2") if x in fl)
    except Exception:
        pass
    with open("/proc/meminfo") as f:
        info["MemTotal"] = f.readline().split(":")[1].strip()
    try:
        info["os"] = re.search(r'PRETTY_NAME="([^"]+)"', open("/etc/os-release").read()).group(1)
    except Exception:
        pass
    return info
