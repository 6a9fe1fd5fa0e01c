#!/usr/bin/python3
"""Hosting-scale benchmark of ocsp-lint and mod_ocsp_audit (issue 16): every figure is a
ratio against httpd without the module on the same work, measured in the same run.

    hosting.py [--small] [--runs N] [--only ROW[,ROW...]] [--keep]

Rows (--only takes these names):
  lint       ocsp-lint text/json/sarif vs `apache2 -t` on 1k/10k/40k vhosts, one shared
             certificate and one certificate per vhost; time, cpu, peak RSS, us per vhost
  configtest `apache2 -t` with vs without the module (1k distinct certs; 10k, one cert)
  start      start-up time and memory (PSS of parent + children, smaps_rollup) with vs
             without, 1k distinct certs; graceful restart at 1k and 10k vhosts
  status     the status page (HTML, ?json, ?prometheus) at 1k and 10k vhosts, against a
             static page of the same server
  probe      the first probe round over 1k vhosts with the responder black-holed, with one
             certificate and with 1k distinct ones; httpd's children before and after
  idle       idle CPU of a server with 100 vhosts, with vs without
  load       HTTPS throughput and p99 latency (wrk; else a bounded Python client),
             keep-alive and one handshake per request, with vs without, while it probes

--small (or BENCH_SMALL=1) uses small sizes so that it ends in about a minute: CI runs
it to prove that it works, the figures mean little. Environment: OCSP_LINT, OA_MODULE,
HTTPD, HTTPD_MODULES, RUNS. Everything listens on 127.0.0.1 only, on free ports; every
httpd is started in a process group of its own and stopped by its PID. See README.md.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
HTTPD = os.environ.get("HTTPD", "/usr/sbin/apache2")
MODULES = os.environ.get("HTTPD_MODULES", "/usr/lib/apache2/modules")
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
       "LANG": "C", "LC_ALL": "C"}

ROWS = ["lint", "configtest", "start", "status", "probe", "idle", "load"]


def die(msg):
    sys.exit(f"hosting.py: {msg}")


def find_lint():
    for c in (os.environ.get("OCSP_LINT"), "build/dev/lint/ocsp-lint", "/work/build/lint/ocsp-lint"):
        if c and os.access(c, os.X_OK):
            return os.path.abspath(c)
    die("ocsp-lint not found (set OCSP_LINT)")


def find_module():
    for c in (os.environ.get("OA_MODULE"), "build/dev/mod_ocsp_audit/.libs/mod_ocsp_audit.so",
              "/work/build/mod_ocsp_audit/.libs/mod_ocsp_audit.so"):
        if c and os.path.exists(c):
            return os.path.abspath(c)
    die("mod_ocsp_audit.so not found (set OA_MODULE)")


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "n/a"


def out(line=""):
    print(line, flush=True)


# ------------------------------------------------------------------ one command, timed

GNU_TIME = "/usr/bin/time"


def run_timed(cmd, stdout=subprocess.DEVNULL):
    """(wall s, cpu s, peak RSS KB) of cmd, which must succeed. Peak RSS and cpu come from
    GNU time (%M, %U + %S): the rusage python gets from wait4 carries the forking
    interpreter's own high-water mark."""
    tf = tempfile.NamedTemporaryFile(prefix="oa-time.", delete=False)
    tf.close()
    try:
        t0 = time.monotonic()
        p = subprocess.run([GNU_TIME, "-f", "%M %U %S", "-o", tf.name] + cmd, stdout=stdout,
                           stderr=subprocess.PIPE, env=ENV)
        wall = time.monotonic() - t0
        if p.returncode not in (0, 1):      # ocsp-lint exits 1 on findings at --fail-on
            die(f"{' '.join(cmd)} failed (exit {p.returncode}): "
                f"{p.stderr[-2000:].decode(errors='replace')}")
        m, u, s = Path(tf.name).read_text().split("\n")[-2].split()
    finally:
        os.unlink(tf.name)
    return wall, float(u) + float(s), int(m)


def alternate(cmds, runs):
    """Run each command of {name: cmd} in turn, runs times (alternating, so that load from
    others hits them alike); {name: (median wall, median cpu, median RSS KB)}."""
    res = {n: ([], [], []) for n in cmds}
    for _ in range(runs):
        for n, c in cmds.items():
            w, cpu, rss = run_timed(c)
            res[n][0].append(w)
            res[n][1].append(cpu)
            res[n][2].append(rss)
    return {n: (med(a), med(b), med(c)) for n, (a, b, c) in res.items()}


# ------------------------------------------------------------------ configurations

class Bench:
    def __init__(self, args):
        self.args = args
        self.small = args.small
        self.runs = args.runs
        self.lint = find_lint()
        self.module = find_module()
        self.tmp = Path(tempfile.mkdtemp(prefix="oa-hosting-bench."))
        os.chmod(self.tmp, 0o755)
        self.procs = []
        self.user = None
        if os.geteuid() == 0:
            import pwd
            for u in ("www-data", "nobody"):
                try:
                    pwd.getpwnam(u)
                    self.user = u
                    break
                except KeyError:
                    pass

    def gen(self, name, vhosts, certs, files=100, **kw):
        d = self.tmp / name
        cmd = [PY, str(HERE / "gen_config.py"), "--out", str(d), "--vhosts", str(vhosts),
               "--files", str(files), "--certs", str(certs), "--modules", MODULES,
               "--certs-dir", str(self.tmp / ("certs-shared" if certs <= 20 else "certs-distinct"))]
        for k, v in kw.items():
            if v is not None:
                cmd += ["--" + k.replace("_", "-"), str(v)]
        if self.user:
            cmd += ["--user", self.user, "--group", self.user]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            die(f"gen_config.py failed: {r.stderr}")
        for p in [d] + list(d.rglob("*")):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        for p in (self.tmp / "certs-shared", self.tmp / "certs-distinct"):
            if p.exists():
                os.chmod(p, 0o755)
                for f in p.iterdir():
                    os.chmod(f, 0o644)
        return d

    def httpd_cmd(self, d, module=False, extra=()):
        cmd = [HTTPD, "-d", str(d), "-f", str(d / "main.conf")]
        if module:
            cmd += ["-c", f"LoadModule ocsp_audit_module {self.module}"]
        return cmd + list(extra)

    # -------------------------------------------------------------- a running httpd

    def start(self, d, port, timeout=300):
        """httpd -DFOREGROUND in a process group of its own; returns (Popen, seconds until
        it accepts on port)."""
        log = d / "logs" / "error.log"
        if log.exists():
            log.unlink()
        t0 = time.monotonic()
        p = subprocess.Popen(self.httpd_cmd(d, extra=["-DFOREGROUND"]), env=ENV,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        self.procs.append(p)
        while time.monotonic() - t0 < timeout:
            if p.poll() is not None:
                die(f"httpd exited ({p.returncode}) at start: {log.read_text()[-3000:] if log.exists() else ''}")
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                if children(p.pid):
                    return p, time.monotonic() - t0
            except OSError:
                pass
            time.sleep(0.02)
        die(f"httpd did not listen on {port} within {timeout} s")

    def stop(self, p):
        if p.poll() is None:
            os.kill(p.pid, signal.SIGTERM)
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)      # the group is the one we made
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def cleanup(self):
        for p in list(self.procs):
            self.stop(p)
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            out(f"kept {self.tmp}")


def children(pid):
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def pss_kb(pid):
    """PSS of pid and its children, KB."""
    total = 0
    for q in [pid] + children(pid):
        try:
            for line in Path(f"/proc/{q}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_ticks(pid):
    """utime + stime of pid and its children (the processes alive now), in seconds."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0
    for q in [pid] + children(pid):
        try:
            f = Path(f"/proc/{q}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(f[11]) + int(f[12])
        except (OSError, IndexError):
            pass
    return total / hz


def http_get(port, path, timeout=30):
    """(seconds, status, body) of one GET on a fresh connection."""
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout)
    try:
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: main.bench.test\r\n\r\n".encode())
        chunks = []
        while True:
            b = s.recv(1 << 16)
            if not b:
                break
            chunks.append(b)
    finally:
        s.close()
    data = b"".join(chunks)
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return time.monotonic() - t0, status, data


def wait_log(log, pattern, timeout):
    rx = re.compile(pattern)
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if log.exists():
            m = rx.search(log.read_text(errors="replace"))
            if m:
                return m
        time.sleep(0.05)
    return None


class BlackHole:
    """A responder that never answers. kind "dropped": a listener that never accepts,
    with a queue of one, already full (the kernel drops further SYNs: connect times
    out, as behind a firewall that drops); kind "hung": connections are accepted into a
    long queue and the request is never answered."""

    def __init__(self, kind):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.fillers = []
        if kind == "hung":
            self.sock.listen(4096)
            return
        self.sock.listen(0)
        for _ in range(4):          # fill the accept queue (its length is backlog + 1)
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self.fillers.append(c)
        time.sleep(0.2)

    def close(self):
        for c in self.fillers:
            c.close()
        self.sock.close()


# ------------------------------------------------------------------ the rows

def row_lint(b):
    sizes = [100, 400] if b.small else [1000, 10000, 40000]
    out("== lint: ocsp-lint vs apache2 -t (no module) on the same configuration; "
        f"median of {b.runs} alternating runs")
    out(f"{'vhosts':>7} {'certs':>9} {'format':>6} {'wall s':>8} {'cpu s':>7} {'RSS MB':>7} "
        f"{'us/vhost':>9} {'time/-t':>8} {'cpu/-t':>7} {'RSS/-t':>7}")
    for certs_mode in ("shared", "distinct"):
        for n in sizes:
            d = b.gen(f"lint-{certs_mode}-{n}", n, 1 if certs_mode == "shared" else n)
            conf = str(d / "main.conf")
            lint = [b.lint, "--no-envvars", "-d", str(d), conf]
            cmds = {"httpd": b.httpd_cmd(d, extra=["-t"]),
                    "text": lint,
                    "json": lint + ["--format", "json"],
                    "sarif": lint + ["--format", "sarif"]}
            r = alternate(cmds, b.runs)
            hw, hc, hm = r["httpd"]
            out(f"{n:>7} {certs_mode:>9} {'-t':>6} {hw:8.3f} {hc:7.2f} {hm / 1024:7.1f} "
                f"{hw * 1e6 / n:9.1f}")
            for f in ("text", "json", "sarif"):
                w, c, m = r[f]
                out(f"{n:>7} {certs_mode:>9} {f:>6} {w:8.3f} {c:7.2f} {m / 1024:7.1f} "
                    f"{w * 1e6 / n:9.1f} {ratio(w, hw):>8} {ratio(c, hc):>7} {ratio(m, hm):>7}")
            shutil.rmtree(d)
    out()


def row_configtest(b):
    cases = [(100, 100), (400, 1)] if b.small else [(1000, 1000), (10000, 1)]
    out(f"== configtest: apache2 -t with vs without mod_ocsp_audit; median of {b.runs} alternating runs")
    for n, certs in cases:
        d = b.gen(f"ct-{n}-{certs}", n, certs)
        r = alternate({"without": b.httpd_cmd(d, extra=["-t"]),
                       "with": b.httpd_cmd(d, module=True, extra=["-t"])}, b.runs)
        (w0, c0, m0), (w1, c1, m1) = r["without"], r["with"]
        out(f"{n} vhosts, {certs} certificate{'s' if certs > 1 else ''}: without {w0:.3f} s, "
            f"with {w1:.3f} s: time {ratio(w1, w0)}, cpu {ratio(c1, c0)}, peak RSS {ratio(m1, m0)}")
        shutil.rmtree(d)
    out()


def started(b, name, n, certs, module, **kw):
    https, http = free_ports(2)
    d = b.gen(name, n, certs, listen=https, http_port=http,
              module=b.module if module else None, **kw)
    return d, https, http


def row_start(b):
    n = 100 if b.small else 1000
    out(f"== start and memory: {n} vhosts, {n} distinct certificates, with vs without; "
        f"PSS of parent + children (smaps_rollup) {1 if b.small else 5} s after start; median of {b.runs} alternating runs")
    res = {False: ([], [], []), True: ([], [], [])}
    for _ in range(b.runs):
        for module in (False, True):
            d, https, http = started(b, f"start-{module}", n, n, module, probe_interval=3600)
            p, t = b.start(d, https)
            time.sleep(1 if b.small else 5)
            res[module][0].append(t)
            res[module][1].append(pss_kb(p.pid))
            res[module][2].append(len(children(p.pid)))
            b.stop(p)
            shutil.rmtree(d)
    t0, m0, c0 = (med(x) for x in res[False])
    t1, m1, c1 = (med(x) for x in res[True])
    out(f"start-up until it serves: without {t0:.2f} s, with {t1:.2f} s: {ratio(t1, t0)}")
    out(f"memory (PSS): without {m0 / 1024:.1f} MB ({c0:.0f} children), with {m1 / 1024:.1f} MB "
        f"({c1:.0f} children): {ratio(m1, m0)}")

    sizes = [100, 400] if b.small else [1000, 10000]
    out(f"graceful restart (SIGUSR1 until 'resuming normal operations'), one certificate; "
        f"median of {b.runs}")
    per = {}
    for n in sizes:
        times = {}
        for module in (False, True):
            d, https, http = started(b, f"restart-{n}-{module}", n, 1, module,
                                     probe_interval=3600, log_level="notice")
            p, _ = b.start(d, https)
            log = d / "logs" / "error.log"
            wait_log(log, r"resuming normal operations", 60)
            ts = []
            for k in range(b.runs):
                before = log.read_text(errors="replace").count("resuming normal operations")
                t0 = time.monotonic()
                os.kill(p.pid, signal.SIGUSR1)
                while log.read_text(errors="replace").count("resuming normal operations") <= before:
                    if time.monotonic() - t0 > 300:
                        die("no restart within 300 s")
                    time.sleep(0.01)
                ts.append(time.monotonic() - t0)
                time.sleep(1)
            times[module] = med(ts)
            b.stop(p)
            shutil.rmtree(d)
        per[n] = (times[True] - times[False]) / n
        out(f"{n:>6} vhosts: without {times[False]:.2f} s, with {times[True]:.2f} s: "
            f"{ratio(times[True], times[False])}; module cost {per[n] * 1e6:.1f} us/vhost")
    a, z = sizes[0], sizes[-1]
    if per[a] > 0:
        out(f"module cost per vhost at {z} / at {a}: {per[z] / per[a]:.2f} (1.0: linear)")
    out()


def row_status(b):
    sizes = [100, 400] if b.small else [1000, 10000]
    fetches = 5 if b.small else 11
    out(f"== status page: median of {fetches} fetches after the first probe round, against a "
        "static page of the same server")
    for n in sizes:
        d, https, http = started(b, f"status-{n}", n, 1, True, probe_interval=3600)
        p, _ = b.start(d, https)
        # after the first probe round (the responder refuses: it is quick), so that the
        # page is timed on a server that does nothing else
        done = wait_log(d / "logs" / "error.log", r"OA00026: probe round 1:", 300)
        base = med([http_get(http, "/index.html")[0] for _ in range(fetches)])
        line = [f"{n:>6} vhosts: static page {base * 1000:.2f} ms"
                + ("" if done else " (first probe round still running)")]
        for name, path in (("HTML", "/ocsp-status"), ("JSON", "/ocsp-status?json"),
                           ("Prometheus", "/ocsp-status?prometheus")):
            ts = []
            for _ in range(fetches):
                t, st, body = http_get(http, path)
                if st != 200:
                    die(f"{path}: HTTP {st}")
                ts.append(t)
            line.append(f"{name} {med(ts) * 1000:.1f} ms ({ratio(med(ts), base)}, {len(body) / 1024:.0f} KB)")
        out("; ".join(line))
        b.stop(p)
        shutil.rmtree(d)
    out()


def row_probe(b):
    n = 12 if b.small else 1000
    limit = 30 if b.small else 60
    out(f"== first probe round, {n} vhosts, the responder black-holed; default "
        "OcspAuditProbeTimeout (5 s) and OcspAuditProbeConcurrency (8)")
    for kind in ("dropped", "hung"):
        for certs in (1, n):
            hole = BlackHole(kind)
            try:
                d, https, http = started(b, f"probe-{kind}-{certs}", n, certs, True,
                                         probe_interval=3600,
                                         force_url=f"http://127.0.0.1:{hole.port}/ocsp")
                p, _ = b.start(d, https)
                kids0 = len(children(p.pid))
                t0 = time.monotonic()
                most = kids0
                log = d / "logs" / "error.log"
                m = None
                while time.monotonic() - t0 < limit:
                    most = max(most, len(children(p.pid)))
                    m = re.search(r"OA00026: probe round 1: (\d+) vhosts? in (\d+) ms",
                                  log.read_text(errors="replace"))
                    if m:
                        break
                    time.sleep(0.1)
                wall = time.monotonic() - t0
                what = (f"round done in {int(m.group(2)) / 1000:.1f} s (OA00026), {wall:.1f} s seen"
                        if m else f"NOT done after {limit} s")
                out(f"{kind:>8} {certs:>5} certificate{'s' if certs > 1 else ' '}: {what}; "
                    f"httpd children {kids0} at start, at most {most} during the round "
                    f"({ratio(most, kids0)})")
                b.stop(p)
                shutil.rmtree(d)
            finally:
                hole.close()
    out()


def row_idle(b):
    n = 100
    window = 3 if b.small else 60
    out(f"== idle CPU: {n} vhosts, {window} s window after {1 if b.small else 3} s, default probe interval; "
        "responder refuses (nothing listens)")
    res = {}
    for module in (False, True):
        d, https, http = started(b, f"idle-{module}", n, 1, module)
        p, _ = b.start(d, https)
        time.sleep(1 if b.small else 3)
        c0 = cpu_ticks(p.pid)
        time.sleep(window)
        res[module] = (cpu_ticks(p.pid) - c0) / window
        b.stop(p)
        shutil.rmtree(d)
    out(f"without {res[False] * 100:.2f}% of a core, with {res[True] * 100:.2f}%: "
        f"{ratio(res[True], res[False]) if res[False] else 'n/a (without: 0)'}")
    out()


def wrk(port, seconds, close):
    cmd = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency"]
    if close:
        cmd += ["-H", "Connection: close"]
    r = subprocess.run(cmd + [f"https://127.0.0.1:{port}/index.html"], capture_output=True,
                       text=True, timeout=seconds + 60)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", r.stdout).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", r.stdout)
    p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]
    return rps, p99


def pyclient(port, seconds, close):
    """A bounded client: 4 threads, sequential requests; (req/s, p99 ms)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    lat, lock, stop = [], threading.Lock(), time.monotonic() + seconds
    req = b"GET /index.html HTTP/1.1\r\nHost: v0.bench.test\r\n" + \
        (b"Connection: close\r\n" if close else b"") + b"\r\n"

    def worker():
        s = None
        while time.monotonic() < stop:
            t0 = time.monotonic()
            if s is None:
                s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 10))
            s.sendall(req)
            data = b""
            while b"</html>" not in data:
                c = s.recv(65536)
                if not c:
                    break
                data += c
            if close:
                s.close()
                s = None
            with lock:
                lat.append(time.monotonic() - t0)
        if s:
            s.close()
    ts = [threading.Thread(target=worker) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    lat.sort()
    return len(lat) / seconds, lat[int(len(lat) * 0.99)] * 1000 if lat else float("nan")


def row_load(b):
    n = 100
    seconds = 1 if b.small else 10
    pairs = 1 if b.small else 3
    client = wrk if shutil.which("wrk") else pyclient
    out(f"== HTTPS load: {n} vhosts, {client.__name__}, {seconds} s per run, {pairs} "
        "alternating pair(s), medians; the module probes every 5 s (responder refuses)")
    servers = {}
    for module in (False, True):
        d, https, http = started(b, f"load-{module}", n, 1, module, probe_interval=5)
        p, _ = b.start(d, https)
        servers[module] = (d, https, p)
    time.sleep(2)
    for close in (False, True):
        res = {False: ([], [], []), True: ([], [], [])}
        for _ in range(pairs):
            for module in (False, True):
                d, https, p = servers[module]
                c0 = cpu_ticks(p.pid)
                rps, p99 = client(https, seconds, close)
                cpu = cpu_ticks(p.pid) - c0
                res[module][0].append(rps)
                res[module][1].append(p99)
                res[module][2].append(cpu / max(rps * seconds, 1) * 1e6)
        (r0, l0, c0), (r1, l1, c1) = ([med(x) for x in res[m]] for m in (False, True))
        out(f"{'new handshake' if close else 'keep-alive':>13}: req/s without {r0:.0f}, with {r1:.0f} "
            f"({ratio(r1, r0)}); p99 {l0:.1f} vs {l1:.1f} ms ({ratio(l1, l0)}); server cpu/request "
            f"{c0:.0f} vs {c1:.0f} us ({ratio(c1, c0)})")
    for module in (False, True):
        b.stop(servers[module][2])
        shutil.rmtree(servers[module][0])
    out()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", default=bool(os.environ.get("BENCH_SMALL")))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "0")) or None)
    ap.add_argument("--only", default=",".join(ROWS))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = ap.parse_args()
    if a.runs is None:
        a.runs = 1 if a.small else 3
    rows = a.only.split(",")
    for r in rows:
        if r not in ROWS:
            die(f"no row {r!r}: {', '.join(ROWS)}")
    if not os.access(GNU_TIME, os.X_OK):
        die("GNU time is needed (Debian package time)")
    b = Bench(a)
    out(f"== mod_ocsp_audit hosting benchmark{' (--small: proves it works, figures mean little)' if a.small else ''}")
    out(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; httpd {HTTPD}; "
        f"ocsp-lint {b.lint}; module {b.module}")
    out()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(130))
    try:
        for r in ROWS:
            if r in rows:
                globals()["row_" + r](b)
    finally:
        b.cleanup()
    out("done")


if __name__ == "__main__":
    main()
