"""Helpers for test_live_checks.py: real faults for `ocsp-lint probe` and `--online`.

Everything here listens on 127.0.0.1 only -- except `openssl ocsp`, whose -port (OpenSSL
3.0) is a bare number and binds every interface; the tests accept that (the responder
serves a throw-away test PKI for a few seconds) and only ever connect to it on 127.0.0.1.

Every server is a context manager and is also recorded in a registry: stop_all() (called
by an autouse fixture after each test and at exit) stops whatever a failing test left.

  make_pki(dir, url)          tools/make-test-pki.sh
  OcspResponder(pki, port)    `openssl ocsp -index ...` in a process group of its own
  BlackHole(port)             accepts connections and never answers (a thread)
  FakeHttp(port, status, ct)  answers every request with a fixed HTTP response (a thread)
  write_apache_config(...)    a self-contained apache2 config of SSL vhosts
  run_probe(...) / run_online(...)  ocsp-lint with JSON output and the elapsed time
  DeadResolver, resolver_namespace_prefix()  a resolver that never answers, for one
                              process only (a private mount namespace; root)
  s_client_status(...)        `openssl s_client -status`, parsed
  testssl_stapling(...)       testssl.sh -S, its OCSP_stapling / cert_ocspRevoked findings
"""

import atexit
import contextlib
import http.server
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpd as H

PROJECT_DIR = Path(__file__).resolve().parents[2]
PKI_SCRIPT = PROJECT_DIR / "tools" / "make-test-pki.sh"

LOOPBACK = "127.0.0.1"

# --------------------------------------------------------------------------- registry

_live = []     # started and not yet stopped: OcspResponder, BlackHole, FakeHttp


def _register(obj):
    _live.append(obj)


def _unregister(obj):
    if obj in _live:
        _live.remove(obj)


def running_helpers():
    return list(_live)


def stop_all():
    """Stop every helper still running; returns what had to be stopped."""
    left = list(_live)
    for obj in reversed(left):
        with contextlib.suppress(Exception):
            obj.stop()
    return left


atexit.register(stop_all)


def wait_until(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() > deadline:
            return v
        time.sleep(interval)


def port_listening(port, pid=None):
    """Something listens on TCP port (of process pid when given), from /proc: no
    connection is made (a connection would be a request to the server)."""
    if pid is not None:
        return any(p == port for _, p in H.listening_addresses(pid))
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            next(f)
            for row in f:
                cols = row.split()
                if len(cols) > 3 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    return True
    return False


def assert_port_free(port):
    if port_listening(port):
        raise H.HarnessError(f"port {port} is already in use")


# --------------------------------------------------------------------------- PKI

def make_pki(directory, ocsp_url):
    """tools/make-test-pki.sh DIRECTORY OCSP_URL -> Path. As root the directory is made
    world-readable (apache2's children run as www-data; only the parent reads keys)."""
    directory = Path(directory)
    r = subprocess.run(["sh", str(PKI_SCRIPT), str(directory), ocsp_url], capture_output=True,
                       text=True, env=H.minimal_env(), timeout=300, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise H.HarnessError(f"make-test-pki.sh failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    if os.geteuid() == 0:
        for p in [directory] + list(directory.rglob("*")):
            if p.is_dir():
                p.chmod(0o755)
    return directory


# --------------------------------------------------------------------------- OCSP responder

class OcspResponder:
    """`openssl ocsp -index DIR/db/index.txt -port PORT -rsigner S.pem -rkey S.key -CA
    DIR/int.pem -nmin N`: the responder of the test PKI, signing with `signer` (a name in
    the PKI directory: ocsp-signer, ocsp-signer-expired, other-int, int, ...).

    NOTE: OpenSSL 3.0's -port takes a number only and binds all interfaces (not just
    127.0.0.1). Accepted here: it serves a throw-away PKI during one test, and is only
    ever contacted on 127.0.0.1.
    """

    def __init__(self, pki, port, signer="ocsp-signer", nmin=5, ca="int", logdir=None,
                 start_timeout=15.0):
        self.pki = Path(pki)
        self.port = int(port)
        self.signer, self.nmin, self.ca = signer, nmin, ca
        self.log = Path(logdir or self.pki) / f"ocsp-{self.port}-{signer}.log"
        self.start_timeout = start_timeout
        self.proc = None

    def command(self):
        d = self.pki
        return ["openssl", "ocsp", "-index", str(d / "db" / "index.txt"),
                "-port", str(self.port),
                "-rsigner", str(d / f"{self.signer}.pem"), "-rkey", str(d / f"{self.signer}.key"),
                "-CA", str(d / f"{self.ca}.pem"), "-nmin", str(self.nmin),
                "-ignore_err"]

    def start(self):
        assert_port_free(self.port)
        self._logf = open(self.log, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self._logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=H.minimal_env(),
                                     start_new_session=True, cwd=str(self.pki))
        _register(self)
        ok = wait_until(lambda: self.proc.poll() is not None
                        or port_listening(self.port, self.proc.pid), self.start_timeout)
        if not ok or self.proc.poll() is not None:
            out = self.log_text()
            self.stop()
            raise H.HarnessError(f"openssl ocsp did not start on port {self.port}:\n{out}")
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM the process group, then SIGKILL; waits until it is gone."""
        if self.proc is None:
            return
        try:
            if self.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=5)
            wait_until(lambda: not H.live_group_members(self.proc.pid), 5)
            # the listening socket is gone with the process: the port refuses from now on
            wait_until(lambda: not port_listening(self.port), 5)
        finally:
            with contextlib.suppress(Exception):
                self._logf.close()
            _unregister(self)

    def log_text(self):
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# --------------------------------------------------------------------------- black hole

class BlackHole:
    """A TCP listener on 127.0.0.1:port that accepts every connection and then sleeps:
    it never reads, never answers, never closes (until stopped). A hung responder, or a
    TLS server that hangs in the handshake.

    trickle: instead of silence, send these bytes one at a time, one every `interval`
    seconds (a server that answers too slowly ever to finish: a per-read timeout would
    never fire, only an overall deadline does)."""

    def __init__(self, port, trickle=b"", interval=0.5):
        self.port = int(port)
        self.trickle, self.interval = bytes(trickle), interval
        self.sock = None
        self.conns = []
        self.accepted = 0
        self.sent = 0
        self._stop = threading.Event()
        self._thread = None
        self._next = {}       # conn -> (time of the next byte, index of the next byte)

    def start(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((LOOPBACK, self.port))
        s.listen(128)
        self.sock = s
        self._thread = threading.Thread(target=self._run, name=f"blackhole-{self.port}",
                                        daemon=True)
        self._thread.start()
        _register(self)
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                r, _, _ = select.select([self.sock], [], [], 0.05)
            except (OSError, ValueError):
                return
            if r:
                try:
                    c, _ = self.sock.accept()
                except OSError:
                    continue
                self.conns.append(c)      # ... and sleep: nothing is ever sent
                self.accepted += 1
                if self.trickle:
                    self._next[c] = (time.monotonic() + self.interval, 0)
            now = time.monotonic()
            for c, (when, i) in list(self._next.items()):
                if now < when or i >= len(self.trickle):
                    continue
                try:
                    c.send(self.trickle[i:i + 1])
                    self.sent += 1
                    self._next[c] = (now + self.interval, i + 1)
                except OSError:
                    del self._next[c]

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.close()
        self.conns = []
        self._next = {}
        if self.sock:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None
        _unregister(self)

    def alive(self):
        return bool(self._thread and self._thread.is_alive())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# --------------------------------------------------------------------------- fake HTTP

class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeHttp:
    """An HTTP server on 127.0.0.1:port (http.server in a thread) answering every GET and
    POST with status, Content-Type content_type and body. requests: what it was sent."""

    def __init__(self, port, status=200, content_type="text/html",
                 body=b"<html><body>not an OCSP responder</body></html>\n"):
        self.port = int(port)
        self.status, self.content_type, self.body = status, content_type, body
        self.requests = []
        self.server = None
        self._thread = None

    def start(self):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(n) if n else b""
                outer.requests.append((self.command, self.path,
                                       self.headers.get("Content-Type"), len(data)))
                self.send_response(outer.status)
                self.send_header("Content-Type", outer.content_type)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            do_GET = do_POST = _answer

            def log_message(self, *a):
                pass

        self.server = _QuietServer((LOOPBACK, self.port), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"fakehttp-{self.port}", daemon=True)
        self._thread.start()
        _register(self)
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        self.server = None
        _unregister(self)

    def alive(self):
        return bool(self._thread and self._thread.is_alive())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# --------------------------------------------------------------------------- apache2

class SslVhost:
    """One name-based SSL vhost: ServerName name on 127.0.0.1:port with cert/key.

    The cert file holds everything served (NAME-fullchain.pem: leaf and intermediate;
    NAME.pem: the leaf alone). stapling: SSLUseStapling. extra: more directives inside
    the <VirtualHost>."""

    def __init__(self, name, port, cert, key, stapling=True, extra=()):
        self.name, self.port = name, int(port)
        self.cert, self.key = Path(cert), Path(key)
        self.stapling = stapling
        self.extra = list(extra)


def pki_vhost(pki, leaf, port, name=None, stapling=True, fullchain=True, extra=()):
    """An SslVhost for PKI leaf `leaf` (good, revoked, muststaple, ...), named leaf.test."""
    pki = Path(pki)
    cert = pki / (f"{leaf}-fullchain.pem" if fullchain else f"{leaf}.pem")
    return SslVhost(name or f"{leaf}.test", port, cert, pki / f"{leaf}.key", stapling, extra)


def write_apache_config(root, vhosts, stapling_timeout=2, global_extra=()):
    """A self-contained apache2 config in root/main.conf: event MPM, mod_ssl, a stapling
    cache, Listen 127.0.0.1 on every port of vhosts, and the vhosts.
    Returns (root, conf, ports)."""
    root = Path(root)
    for d in ("run", "logs", "htdocs"):
        (root / d).mkdir(parents=True, exist_ok=True)
    mods = H.module_dir()
    ports = sorted({v.port for v in vhosts})
    lines = [f'ServerRoot "{root}"',
             f'DefaultRuntimeDir "{root}/run"',
             f'PidFile "{root}/run/httpd.pid"',
             f'ErrorLog "{root}/logs/error.log"',
             f'LoadModule mpm_event_module "{mods}/mod_mpm_event.so"',
             f'LoadModule authz_core_module "{mods}/mod_authz_core.so"',
             f'LoadModule socache_shmcb_module "{mods}/mod_socache_shmcb.so"',
             f'LoadModule ssl_module "{mods}/mod_ssl.so"',
             "LogLevel warn ssl:info",
             "ServerName main.test",
             f'DocumentRoot "{root}/htdocs"']
    lines += [f"Listen {LOOPBACK}:{p}" for p in ports]
    lines += [f'SSLStaplingCache "shmcb:{root}/run/ssl_stapling(131072)"',
              f"SSLStaplingResponderTimeout {int(stapling_timeout)}",
              "SSLStaplingReturnResponderErrors on",
              "SSLStaplingFakeTryLater on"]
    lines += list(global_extra)
    for v in vhosts:
        lines += [f"<VirtualHost {LOOPBACK}:{v.port}>",
                  f"    ServerName {v.name}",
                  "    SSLEngine on",
                  f'    SSLCertificateFile "{v.cert}"',
                  f'    SSLCertificateKeyFile "{v.key}"',
                  f"    SSLUseStapling {'on' if v.stapling else 'off'}"]
        lines += [f"    {x}" for x in v.extra]
        lines.append("</VirtualHost>")
    conf = root / "main.conf"
    conf.write_text("\n".join(lines) + "\n")
    if os.geteuid() == 0:
        for p in [root] + list(root.rglob("*")):
            if not p.is_symlink():
                p.chmod(p.stat().st_mode | (0o755 if p.is_dir() else 0o644))
    return root, conf, ports


def start_apache(stack, root, conf, ports, workdir):
    """Start apache2 (harness HttpdInstance) inside an ExitStack: stopped when it closes."""
    inst = H.HttpdInstance(root, conf, Path(workdir) / f"httpd-{Path(root).name}", ports=ports)
    stack.enter_context(inst)
    return inst


# --------------------------------------------------------------------------- ocsp-lint

class Run:
    """One ocsp-lint run: returncode, doc (parsed JSON or None), stdout, stderr, elapsed
    (seconds, wall clock), args."""

    def __init__(self, returncode, doc, stdout, stderr, elapsed, args):
        self.returncode, self.doc = returncode, doc
        self.stdout, self.stderr = stdout, stderr
        self.elapsed, self.args = elapsed, args

    @property
    def probes(self):
        return (self.doc or {}).get("probes") or []

    def probe(self, i=0):
        p = self.probes
        assert len(p) > i, f"no probe #{i} in the output:\n{self.describe()}"
        return p[i]

    def describe(self):
        return (f"$ {' '.join(map(str, self.args))}\nexit {self.returncode} after "
                f"{self.elapsed:.2f} s\nstderr:\n{self.stderr}\nstdout:\n{self.stdout[:6000]}")


# --------------------------------------------------------------------------- a dead resolver

class DeadResolver:
    """A UDP socket on 127.0.0.1:53 that is bound (so no ICMP port-unreachable comes back)
    but never read: a resolver that does not answer. Used with resolver_namespace_prefix()
    so that only the process under test is pointed at it. Needs root."""

    def __init__(self, port=53):
        self.port = port
        self.sock = None
        self.resolv_conf = None

    def start(self, directory):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((LOOPBACK, self.port))
        self.sock = s
        self.resolv_conf = Path(directory) / "resolv-dead.conf"
        # one server, no search domains; glibc's own timeout (5 s) is longer than ours
        self.resolv_conf.write_text(f"nameserver {LOOPBACK}\noptions timeout:5 attempts:2\n")
        _register(self)
        return self

    def stop(self):
        if self.sock:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None
        _unregister(self)


def namespaces_usable():
    """(True, None) when `unshare -m` with a bind mount over /etc/resolv.conf works here."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False, "needs root and unshare(1) for a private mount namespace"
    r = subprocess.run(["unshare", "-m", "sh", "-c",
                        "mount --bind /dev/null /etc/resolv.conf && test ! -s /etc/resolv.conf"],
                       capture_output=True, text=True, timeout=30, env=H.minimal_env(),
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        return False, f"unshare -m / mount --bind does not work here: {r.stderr.strip()}"
    return True, None


def resolver_namespace_prefix(resolv_conf):
    """A command prefix running the rest in a private mount namespace where
    /etc/resolv.conf is resolv_conf (the host's file is untouched)."""
    return ["unshare", "-m", "sh", "-c",
            'mount --bind "$0" /etc/resolv.conf && exec "$@"', str(resolv_conf)]


def _run_lint(args, limit, prefix=()):
    cmd = list(prefix) + [H.lint_binary()] + [str(a) for a in args]
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=H.minimal_env(),
                           timeout=limit, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        # subprocess.run killed it; this is a failure of the "promptly" kind
        raise AssertionError(f"ocsp-lint did not finish within {limit} s (killed): "
                             f"{' '.join(cmd)}\nstdout so far:\n{e.stdout}\n"
                             f"stderr so far:\n{e.stderr}")
    elapsed = time.monotonic() - t0
    doc = None
    if r.stdout.strip():
        with contextlib.suppress(ValueError):
            doc = json.loads(r.stdout)
    return Run(r.returncode, doc, r.stdout, r.stderr, elapsed, cmd)


def run_probe(targets, sni=None, timeout=None, concurrency=None, clock_offset=None,
              skew=None, no_responder=False, limit=None, prefix=()):
    """`ocsp-lint probe --format json ...`. limit: kill it after this many seconds (default
    a generous multiple of the timeout, so a hang fails the test instead of blocking it)."""
    args = ["probe", "--format", "json"]
    if sni:
        args += ["--sni", sni]
    if timeout is not None:
        args += ["--timeout", timeout]
    if concurrency is not None:
        args += ["--concurrency", concurrency]
    if clock_offset is not None:
        args += [f"--clock-offset={clock_offset}"]   # "=": a negative value is no option
    if skew is not None:
        args += ["--skew", skew]
    if no_responder:
        args.append("--no-responder")
    args += list(targets)
    if limit is None:
        limit = 4 * (timeout or 5) * max(1, len(targets)) + 30
    return _run_lint(args, limit, prefix)


def run_online(root, conf, timeout=None, limit=None, prefix=()):
    """`ocsp-lint --online --format json -d ROOT CONF --no-envvars [--timeout S]`."""
    args = ["--online", "--format", "json", "--no-envvars", "-d", root]
    if timeout is not None:
        args += ["--timeout", timeout]
    args.append(conf)
    return _run_lint(args, limit or (4 * (timeout or 5) + 30), prefix)


def online_entries(run, cert_path=None):
    """The top-level "online" array of an --online JSON document (entries for cert_path
    only when given)."""
    entries = (run.doc or {}).get("online")
    assert isinstance(entries, list), f'no top-level "online" array:\n{run.describe()}'
    if cert_path is not None:
        entries = [e for e in entries if e.get("certificate") == str(cert_path)]
    return entries


# --------------------------------------------------------------------------- peers

def s_client_status(port, servername, timeout=30):
    """`openssl s_client -connect 127.0.0.1:PORT -servername NAME -status`, parsed:
    {"stapled": bool, "response_status": str|None, "cert_status": str|None, "text": out}."""
    cmd = ["openssl", "s_client", "-connect", f"{LOOPBACK}:{port}", "-servername", servername,
           "-status"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=H.minimal_env(),
                       timeout=timeout, stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    if "CONNECTED(" not in out:
        raise H.HarnessError(f"{' '.join(cmd)} did not connect (exit {r.returncode}):\n{out}")
    res = {"stapled": None, "response_status": None, "cert_status": None, "text": out}
    if re.search(r"^OCSP response: no response sent", out, re.M):
        res["stapled"] = False
    m = re.search(r"^\s*OCSP Response Status: (\S+)", out, re.M)
    if m:
        res["stapled"] = True
        res["response_status"] = m.group(1)
    m = re.search(r"^\s*Cert Status: (\S+)", out, re.M)
    if m:
        res["cert_status"] = m.group(1)
    if res["stapled"] is None:
        raise H.HarnessError(f"s_client printed neither 'no response sent' nor an OCSP "
                             f"Response Status:\n{out}")
    return res


def testssl_binary():
    """testssl.sh as Debian installs it (/usr/bin/testssl), or one on PATH."""
    for name in ("testssl", "testssl.sh"):
        p = shutil.which(name, path=H.minimal_env()["PATH"])
        if p:
            return p
    return None


def ensure_testssl():
    """(path, None) or (None, why): installs Debian's testssl.sh with apt-get when it is
    missing and we are root."""
    p = testssl_binary()
    if p:
        return p, None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "testssl.sh is not installed and apt-get cannot be run (not root)"
    env = H.minimal_env({"DEBIAN_FRONTEND": "noninteractive"})
    r = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "testssl.sh"],
                       capture_output=True, text=True, env=env, timeout=900,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        upd = subprocess.run(["apt-get", "update"], capture_output=True, text=True, env=env,
                             timeout=900, stdin=subprocess.DEVNULL)
        r = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends",
                            "testssl.sh"], capture_output=True, text=True, env=env,
                           timeout=900, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            return None, (f"apt-get install testssl.sh failed (exit {r.returncode}):\n"
                          f"{upd.stdout[-1500:]}{upd.stderr[-1500:]}"
                          f"{r.stdout[-2000:]}{r.stderr[-2000:]}")
    p = testssl_binary()
    return (p, None) if p else (None, "apt-get installed testssl.sh but no testssl on PATH")


def testssl_stapling(binary, port, servername, ca_file, outdir, timeout=240):
    """testssl.sh offline (--nodns none, no --phone-out) against 127.0.0.1:PORT with SNI
    servername: only the server defaults (-S, which hold "OCSP stapling"), --fast, the test
    root as an extra CA (so it also judges the stapled response: cert_ocspRevoked).
    Returns {"OCSP_stapling": finding|None, "cert_ocspRevoked": finding|None, "text"}."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    jfile = outdir / f"testssl-{servername}-{port}.json"
    if jfile.exists():
        jfile.unlink()
    cmd = [binary, "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
           "--fast", "--add-ca", str(ca_file), "--jsonfile-pretty", str(jfile),
           "-S", "--ip", LOOPBACK, f"https://{servername}:{port}"]
    env = H.minimal_env({"TERM": "dumb", "HOME": str(outdir)})
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                       stdin=subprocess.DEVNULL, cwd=str(outdir))
    text = r.stdout + r.stderr
    try:
        doc = json.loads(jfile.read_text())
    except (OSError, ValueError) as e:
        raise H.HarnessError(f"testssl wrote no JSON ({e}); exit {r.returncode}:\n{text}")
    found = {"OCSP_stapling": None, "cert_ocspRevoked": None, "text": text}
    for scan in doc.get("scanResult") or []:
        for section in scan.values():
            if not isinstance(section, list):
                continue
            for f in section:
                if isinstance(f, dict) and f.get("id") in ("OCSP_stapling", "cert_ocspRevoked"):
                    found[f["id"]] = f
    if found["OCSP_stapling"] is None:
        raise H.HarnessError(f"testssl JSON {jfile} has no OCSP_stapling finding:\n{text}")
    return found
