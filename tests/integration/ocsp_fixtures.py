"""The test PKI, OCSP responders, fake servers and TLS clients shared by the integration
tests (live_helpers.py, status_helpers.py, module_helpers.py and scenarios.py import them
from here; httpd.py holds the apache2 / ocsp-lint harness underneath).

  make_pki / run_pki_script / open_tree  tools/make-test-pki.sh, and making a tree
                              readable for apache2's children (www-data) when we are root
  OcspResponder(pki, port)    `openssl ocsp -index ... -port PORT` in a process group
  LoopbackResponder(pki, port)  an OCSP responder on 127.0.0.1 only (an HTTP server in
                              this process feeding `openssl ocsp -reqin/-respout`)
  BlackHole(port)             accepts connections and never answers (a thread)
  FakeHttp(port, status, ct)  answers every request with a fixed HTTP response (a thread)
  s_client(...)               `openssl s_client [-status]`, parsed
  tls_handshake(...)          one TLS handshake with the ssl module
  find_binary / ensure_binary a binary on PATH, installed with apt-get when missing (root)
  wait_until / port_listening polling helpers (no connection is made to check a port)

Everything listens on 127.0.0.1 only -- except `openssl ocsp -port`, which (OpenSSL 3.0)
takes a bare number and binds every interface; it serves a throw-away test PKI for one
test and is only ever contacted on 127.0.0.1.

OcspResponder, BlackHole and FakeHttp are recorded in one registry while they run:
stop_all() (called by the autouse fixtures of test_live_checks.py and test_status_page.py,
and at exit) stops whatever a failing test left.
"""

import atexit
import base64
import contextlib
import http.server
import os
import re
import select
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

import httpd as H

PROJECT_DIR = Path(__file__).resolve().parents[2]
PKI_SCRIPT = PROJECT_DIR / "tools" / "make-test-pki.sh"
LOOPBACK = "127.0.0.1"

# --------------------------------------------------------------------------- registry

_live = []     # started and not yet stopped: OcspResponder, BlackHole, FakeHttp, ...


def register(obj):
    _live.append(obj)


def unregister(obj):
    with contextlib.suppress(ValueError):
        _live.remove(obj)


def running():
    """The helpers started and not stopped yet."""
    return list(_live)


def stop_all(keep=()):
    """Stop every helper still running but those in keep; returns what had to be
    stopped."""
    left = [obj for obj in _live if not any(obj is k for k in keep)]
    for obj in reversed(left):
        with contextlib.suppress(Exception):
            obj.stop()
    return left


atexit.register(stop_all)


class Managed:
    """start() / stop() as a context manager."""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# --------------------------------------------------------------------------- polling

def wait_until(predicate, timeout=30.0, interval=0.1):
    """Poll predicate() until it returns something true (returned) or timeout (the last
    value is returned, false)."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(interval)


def port_listening(port, pid=None):
    """Something listens on TCP port (any address; of process pid when given), from
    /proc: no connection is made (a connection would be a request to the server)."""
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

def open_tree(path, files=False):
    """As root (apache2's children run as www-data): directories below path become 0755;
    with files, files get read permission for all too, except keys (only the parent,
    root, reads those). Symbolic links are left alone."""
    if os.geteuid() != 0:
        return
    path = Path(path)
    for p in [path] + list(path.rglob("*")):
        if p.is_symlink():
            continue
        if p.is_dir():
            p.chmod(0o755)
        elif files and not p.name.endswith(".key"):
            p.chmod(p.stat().st_mode | 0o644)


def run_pki_script(directory, ocsp_url, timeout=300, crl_url=None):
    """tools/make-test-pki.sh DIRECTORY OCSP_URL [CRL_URL]; raises HarnessError when it
    fails. Returns the directory as Path."""
    r = subprocess.run(["sh", str(PKI_SCRIPT), str(directory), ocsp_url]
                       + ([crl_url] if crl_url else []), capture_output=True,
                       text=True, env=H.minimal_env(), timeout=timeout, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise H.HarnessError(f"make-test-pki.sh failed (exit {r.returncode}):\n"
                             f"{r.stdout}{r.stderr}")
    return Path(directory)


def make_crls(pki_dir, out_dir, timeout=300):
    """tools/make-test-crls.sh PKI_DIR OUT_DIR: the PKI's CRLs, one per fault (fresh.der,
    fresh.pem, stale.der, future.der, badsig.der, garbage.crl, toolarge.crl)."""
    r = subprocess.run(["sh", str(PROJECT_DIR / "tools" / "make-test-crls.sh"), str(pki_dir),
                        str(out_dir)], capture_output=True, text=True, env=H.minimal_env(),
                       timeout=timeout, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise H.HarnessError(f"make-test-crls.sh failed (exit {r.returncode}):\n"
                             f"{r.stdout}{r.stderr}")
    return Path(out_dir)


def make_pki(directory, ocsp_url):
    """tools/make-test-pki.sh DIRECTORY OCSP_URL -> Path; as root its directories are made
    world-enterable (apache2's children run as www-data; only the parent reads keys)."""
    directory = run_pki_script(directory, ocsp_url)
    open_tree(directory)
    return directory


# --------------------------------------------------------------------------- OCSP responders

class OcspResponder(Managed):
    """`openssl ocsp -index DIR/db/index.txt -port PORT -rsigner S.pem -rkey S.key -CA
    DIR/CA.pem -nmin N [-ignore_err]` in a process group of its own: the responder of the
    test PKI (pki: its directory, or an object with .dir), signing with `signer` (a name in
    the PKI directory: ocsp-signer, ocsp-signer-expired, other-int, int, ...).

    log: its output (default LOGDIR/ocsp-PORT-SIGNER.log, LOGDIR the PKI's). wait_free:
    wait (up to the start timeout) for the port to be free instead of failing at once.
    Recorded in the registry (stop_all) while it runs unless registered is False.

    NOTE: OpenSSL 3.0's -port takes a number only and binds all interfaces (not just
    127.0.0.1). Accepted here: it serves a throw-away PKI during one test, and is only
    ever contacted on 127.0.0.1.
    """

    def __init__(self, pki, port, signer="ocsp-signer", nmin=5, ca="int", logdir=None,
                 start_timeout=15.0, log=None, wait_free=False, ignore_err=True,
                 registered=True, text=False):
        self.pki = Path(getattr(pki, "dir", pki))
        self.port = int(port)
        self.signer, self.nmin, self.ca = signer, nmin, ca
        self.log = Path(log) if log else Path(logdir or self.pki) / f"ocsp-{self.port}-{signer}.log"
        self.start_timeout = start_timeout
        self.wait_free, self.ignore_err, self.registered = wait_free, ignore_err, registered
        self.text = text          # -text: each request (with its serial numbers) is logged
        self.proc = None
        self._logf = None

    def command(self):
        d = self.pki
        cmd = ["openssl", "ocsp", "-index", str(d / "db" / "index.txt"),
               "-port", str(self.port),
               "-rsigner", str(d / f"{self.signer}.pem"), "-rkey", str(d / f"{self.signer}.key"),
               "-CA", str(d / f"{self.ca}.pem"), "-nmin", str(self.nmin)]
        if self.text:
            # line-buffered, so that the log shows each request as it comes
            cmd = ["stdbuf", "-oL"] + cmd + ["-text"]
        return cmd + ["-ignore_err"] if self.ignore_err else cmd

    def spawn(self):
        """Start the process (its output appended to the log); no waiting."""
        with contextlib.suppress(Exception):
            self._logf.close()
        self._logf = open(self.log, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self._logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=H.minimal_env(),
                                     start_new_session=True, cwd=str(self.pki))
        if self.registered:
            register(self)
        return self.proc

    def start(self, timeout=None):
        """Start it and wait until it listens on the port."""
        timeout = self.start_timeout if timeout is None else timeout
        if not self.wait_free:
            assert_port_free(self.port)
        elif not wait_until(lambda: not port_listening(self.port), timeout):
            raise H.HarnessError(f"port {self.port} is busy: cannot start the responder")
        self.spawn()
        ok = wait_until(lambda: self.proc.poll() is not None
                        or port_listening(self.port, self.proc.pid), timeout, 0.05)
        if not ok or self.proc.poll() is not None:
            out = self.log_text()
            self.stop()
            raise H.HarnessError(f"openssl ocsp did not start on port {self.port}:\n{out}")
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=5.0, what=None):
        """SIGTERM the process group, then SIGKILL; waits until it is gone (what: raise
        when it will not go, see H.stop_process_group) and its port is free."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            H.stop_process_group(proc, timeout, what)
            # the listening socket is gone with the process: the port refuses from now on
            wait_until(lambda: not port_listening(self.port), timeout, 0.05)
        finally:
            with contextlib.suppress(Exception):
                self._logf.close()
            unregister(self)

    def log_text(self):
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _HttpThread(Managed):
    """An http.server on 127.0.0.1:port in a thread; subclasses give handler()."""

    registered = True

    def __init__(self, port):
        self.port = int(port)
        self.server = None
        self._thread = None

    def handler(self):
        raise NotImplementedError

    def start(self):
        self.server = _QuietServer((LOOPBACK, self.port), self.handler())
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"{type(self).__name__.lower()}-{self.port}",
                                        daemon=True)
        self._thread.start()
        if self.registered:
            register(self)
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
        if self._thread:
            self._thread.join(timeout=10)
        self.server = None
        unregister(self)

    def alive(self):
        return bool(self._thread and self._thread.is_alive())


class LoopbackResponder(_HttpThread):
    """An OCSP responder for the test PKI on 127.0.0.1 only: a small HTTP server in this
    process that hands each request (POST body, or GET base64 path) to
    `openssl ocsp -index ... -reqin -respout` (responder mode without -port, so no
    socket of openssl's own) and sends back the response. Counts the requests it served.
    Not in the registry (a session's responder outlives the tests).

        with LoopbackResponder(pki_dir, port) as r: ...
    """

    registered = False

    def __init__(self, pki_dir, port):
        super().__init__(port)
        self.pki = Path(pki_dir)
        self.requests = 0
        self.errors = []
        self._lock = threading.Lock()

    def answer(self, der):
        p = self.pki
        with self._lock, tempfile.TemporaryDirectory() as d:
            req, resp = Path(d) / "req.der", Path(d) / "resp.der"
            req.write_bytes(der)
            r = subprocess.run(["openssl", "ocsp", "-index", str(p / "db" / "index.txt"),
                                "-rsigner", str(p / "ocsp-signer.pem"),
                                "-rkey", str(p / "ocsp-signer.key"), "-CA", str(p / "int.pem"),
                                "-nmin", "5", "-reqin", str(req), "-respout", str(resp)],
                               capture_output=True, text=True, env=H.minimal_env(), timeout=30)
            self.requests += 1
            if r.returncode != 0 or not resp.exists():
                self.errors.append(r.stderr)
                return None
            return resp.read_bytes()

    def handler(self):
        responder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _reply(self, der):
                body = responder.answer(der) if der else None
                if body is None:
                    self.send_response(400)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/ocsp-response")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                self._reply(self.rfile.read(n) if n else b"")

            def do_GET(self):
                path = urllib.parse.unquote(self.path.lstrip("/"))
                try:
                    der = base64.b64decode(path, validate=False) if path else b""
                except ValueError:
                    der = b""
                self._reply(der)

            def log_message(self, *args):
                pass

        return Handler


# --------------------------------------------------------------------------- fake servers

class BlackHole(Managed):
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
        register(self)
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
        unregister(self)

    def alive(self):
        return bool(self._thread and self._thread.is_alive())


class FakeHttp(_HttpThread):
    """An HTTP server on 127.0.0.1:port (http.server in a thread) answering every GET and
    POST with status, Content-Type content_type and body. requests: what it was sent."""

    def __init__(self, port, status=200, content_type="text/html",
                 body=b"<html><body>not an OCSP responder</body></html>\n"):
        super().__init__(port)
        self.status, self.content_type, self.body = status, content_type, body
        self.requests = []

    def handler(self):
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

        return Handler


# --------------------------------------------------------------------------- TLS clients

_RE_NEW = re.compile(r"^New, (\S+), Cipher is (\S+)", re.M)
_RE_NO_RESPONSE = re.compile(r"^OCSP response: no response sent", re.M)
_RE_RESP_STATUS = re.compile(r"^\s*OCSP Response Status: (\w+)", re.M)
_RE_CERT_STATUS = re.compile(r"^\s*Cert Status: (\w+)", re.M)


def s_client(port, servername, status=True, timeout=30, cafile=None, catch_timeout=False):
    """One handshake with `openssl s_client -connect 127.0.0.1:PORT -servername NAME
    [-status] [-CAfile F]` (stdin closed). Returns a dict: rc, connected, handshake,
    no_response (s_client said "no response sent"), response_status (the OCSP Response
    Status), staple (None: no OCSP line; "none": no response sent; else the OCSP Response
    Status), cert_status, output (stdout and stderr). catch_timeout: a timeout gives rc
    None and what was printed so far, instead of raising."""
    cmd = ["openssl", "s_client", "-connect", f"{LOOPBACK}:{port}", "-servername", servername]
    if status:
        cmd.append("-status")
    if cafile:
        cmd += ["-CAfile", str(cafile)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=H.minimal_env(),
                           timeout=timeout, stdin=subprocess.DEVNULL)
        out, rc = r.stdout + r.stderr, r.returncode
    except subprocess.TimeoutExpired as e:
        if not catch_timeout:
            raise
        out = ((e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes)
               else (e.stdout or "")) + "\n[s_client timed out]"
        rc = None
    m = _RE_NEW.search(out)
    no_response = bool(_RE_NO_RESPONSE.search(out))
    ms = _RE_RESP_STATUS.search(out)
    mc = _RE_CERT_STATUS.search(out)
    response_status = ms.group(1) if ms else None
    return {"rc": rc, "cmd": cmd, "connected": "CONNECTED(" in out,
            "handshake": bool(m and m.group(2) != "(NONE)"),
            "no_response": no_response, "response_status": response_status,
            "staple": "none" if no_response else response_status,
            "cert_status": mc.group(1) if mc else None, "output": out}


def s_client_connected(port, servername, timeout=30, cafile=None):
    """s_client() with -status; raises HarnessError when it did not connect."""
    hs = s_client(port, servername, timeout=timeout, cafile=cafile)
    if not hs["connected"]:
        raise H.HarnessError(f"{' '.join(hs['cmd'])} did not connect (exit {hs['rc']}):\n"
                             f"{hs['output']}")
    return hs


def tls_handshake(port, servername, timeout=5.0, peer_cert=False):
    """One TLS handshake (no verification) with SNI on 127.0.0.1:port; returns the
    negotiated version, or with peer_cert the peer's certificate (DER)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=servername) as s:
            return s.getpeercert(binary_form=True) if peer_cert else s.version()


# --------------------------------------------------------------------------- packages

def find_binary(names):
    """The first of names (a name or a tuple of names) on the minimal PATH, or None."""
    for name in (names,) if isinstance(names, str) else names:
        p = shutil.which(name, path=H.minimal_env()["PATH"])
        if p:
            return p
    return None


def ensure_binary(names, package, env_var=None):
    """(path, None) or (None, why): the binary (env_var overrides; names: a name or a tuple
    of names), installed from Debian's package with apt-get when missing and we are root."""
    if env_var and os.environ.get(env_var):
        return os.environ[env_var], None
    path = find_binary(names)
    if path:
        return path, None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, f"{names} is missing (Debian package {package}) and apt-get cannot run"
    env = H.minimal_env({"DEBIAN_FRONTEND": "noninteractive"})
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    r = subprocess.run(install, capture_output=True, text=True, env=env, timeout=1800,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, text=True, env=env,
                       timeout=900, stdin=subprocess.DEVNULL)
        r = subprocess.run(install, capture_output=True, text=True, env=env, timeout=1800,
                           stdin=subprocess.DEVNULL)
    path = find_binary(names)
    if path:
        return path, None
    return None, (f"apt-get install {package} failed (exit {r.returncode}):\n"
                  f"{r.stdout[-2000:]}{r.stderr[-2000:]}")


def require_binary(names, package, env_var=None):
    """ensure_binary's path; without it the test is skipped, or fails under CI (set by
    .ci/run), where every tool the suite uses must be there."""
    path, why = ensure_binary(names, package, env_var)
    if path:
        return path
    print(f"SKIP reason: {why}")
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)
