"""Helpers for test_status_page.py: apache2 with mod_ocsp_audit's live status page.

What is here:
  Pki / make_pki / add_leaf    tools/make-test-pki.sh, plus extra leaves issued the same way
  Responder                    `openssl ocsp -index ...` (the test PKI's OCSP responder)
  BlackHole                    a 127.0.0.1 listener that accepts and never answers
  Site                         a self-contained apache2 config: SSL vhosts, the status page
                               (<Location /ocsp-status>), mod_status, a plain page
  get / get_json / get_auto / get_prometheus / wait_first_round
  parse_auto / parse_prometheus / promtool_check
  s_client_staple              what `openssl s_client -status` shows for a vhost
  ensure_binary                install a Debian package with apt-get when its binary is missing
  Chromium                     headless chromium: --dump-dom and --screenshot
  parse_dom                    a tiny DOM (stdlib html.parser) to look for rows and text
  shm_state / apache_processes for the "nothing leaked" checks
  graceful                     `apache2 -k graceful` with the same -d/-f/-c as the instance
The PKI script, the responder, BlackHole, s_client, ensure_binary, tls_handshake and the
registry of running helpers come from ocsp_fixtures.py (shared with the other modules).

Nothing listens anywhere but 127.0.0.1, except `openssl ocsp`, whose -port binds every
interface (OpenSSL 3.0 takes a port number only); it serves a throw-away PKI for one test
and is only contacted on 127.0.0.1. Every process or thread started here is recorded and
stop_all() (an autouse fixture, and atexit) stops what a failing test left behind.

Environment: OA_MODULE (mod_ocsp_audit.so, default the build tree's), CHROMIUM (binary),
PROMTOOL (binary), on top of httpd.py's HTTPD and APXS.
"""

import contextlib
import html.parser
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

import httpd as H
import schemas
import ocsp_fixtures as F

HERE = Path(__file__).resolve().parent
ARTIFACTS_DIR = HERE / "artifacts"
DEFAULT_MODULE = "/work/build/mod_ocsp_audit/.libs/mod_ocsp_audit.so"
LOOPBACK = F.LOOPBACK
MPMS = ("event", "worker", "prefork")
STATUS_PATH = "/ocsp-status"
PAGE_PATH = "/index.html"


def module_path():
    return os.environ.get("OA_MODULE") or DEFAULT_MODULE


def require_module():
    """Fail (not skip) the test when the module under test is not built."""
    if not os.path.isfile(module_path()):
        pytest.fail(f"mod_ocsp_audit is not built: {module_path()} (make, or set OA_MODULE)")


# --------------------------------------------------------------------------- shared

# the registry, polling, PKI and responder pieces live in ocsp_fixtures.py
running, stop_all, wait_for = F.running, F.stop_all, F.wait_until
port_listening, BlackHole = F.port_listening, F.BlackHole
ensure_binary, require_binary, tls_handshake = (F.ensure_binary, F.require_binary,
                                                 F.tls_handshake)


def readable_tree(path):
    """As root httpd's children run as www-data: make directories 0755 and files 0644
    (keys stay as they are: only the parent, root, reads them)."""
    F.open_tree(path, files=True)


def make_tmpdir(prefix):
    """A world-readable temporary directory (pytest's are 0700 below /tmp/pytest-of-root)."""
    d = Path(tempfile.mkdtemp(prefix=prefix))
    d.chmod(0o755)
    return d


# --------------------------------------------------------------------------- PKI

class Pki:
    def __init__(self, directory, url):
        self.dir = Path(directory)
        self.url = url

    def cert(self, leaf, chain=True):
        return self.dir / (f"{leaf}-fullchain.pem" if chain else f"{leaf}.pem")

    def key(self, leaf):
        return self.dir / f"{leaf}.key"


def make_pki(directory, ocsp_url, crl_url=None):
    """tools/make-test-pki.sh DIRECTORY OCSP_URL [CRL_URL] -> Pki."""
    readable_tree(F.run_pki_script(directory, ocsp_url, crl_url=crl_url))
    return Pki(directory, ocsp_url)


def add_leaf(pki, name, extensions="v3_leaf"):
    """Issue one more leaf NAME.test from the PKI's intermediate, through its database (so
    the responder knows it), as make-test-pki.sh does: NAME.pem, NAME.key,
    NAME-fullchain.pem."""
    d = pki.dir
    env = H.minimal_env({"OA_SAN": f"{name}.test"})

    def run(args):
        r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120,
                           cwd=str(d), stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise H.HarnessError(f"{' '.join(args)} failed:\n{r.stdout}{r.stderr}")

    run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-out", f"{name}.key"])
    run(["openssl", "req", "-new", "-key", f"{name}.key", "-subj", f"/CN={name}.test",
         "-config", "ca.cnf", "-out", f"{name}.csr"])
    run(["openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", "int.pem", "-keyfile",
         "int.key", "-extensions", extensions, "-in", f"{name}.csr", "-out", f"{name}.pem",
         "-notext"])
    (d / f"{name}.csr").unlink()
    (d / f"{name}-fullchain.pem").write_text((d / f"{name}.pem").read_text()
                                             + (d / "int.pem").read_text())
    readable_tree(d)


# --------------------------------------------------------------------------- responder

class Responder(F.OcspResponder):
    """`openssl ocsp -index DIR/db/index.txt -port PORT -rsigner DIR/ocsp-signer.pem -rkey
    DIR/ocsp-signer.key -CA DIR/int.pem -nmin 5` in a process group of its own (the shared
    OcspResponder, logging to DIR/ocsp-PORT.log, waiting up to 30 s for a busy port)."""

    def __init__(self, pki, port, nmin=5, text=False):
        super().__init__(pki, port, nmin=nmin, log=Path(pki.dir) / f"ocsp-{int(port)}.log",
                         start_timeout=30, wait_free=True, text=text)


# --------------------------------------------------------------------------- apache2

class Vhost:
    """An SSL vhost: ServerName name, cert/key files, SSLUseStapling on|off, aliases,
    include_dir: put the <VirtualHost> in DIR/vhost.conf and Include it (a path with odd
    characters for the escaping checks)."""

    def __init__(self, name, cert, key, stapling=True, aliases=(), include_dir=None, extra=()):
        self.name, self.cert, self.key = name, Path(cert), Path(key)
        self.stapling = stapling
        self.extra = list(extra)       # more directives inside the <VirtualHost>
        self.aliases = list(aliases)
        self.include_dir = include_dir


class Site:
    """A self-contained apache2 config below root:
      - plain HTTP on 127.0.0.1:http_port (main server): STATUS_PATH (ocsp-audit-status),
        /server-status (mod_status), PAGE_PATH (a static file)
      - the SSL vhosts, name-based on <VirtualHost *:https_port> (Listen 127.0.0.1 only)
      - mod_ocsp_audit with OcspAuditProbeInterval/Timeout, its log level at debug (for
        OA00026, the end of each probe round)."""

    def __init__(self, root, vhosts, http_port, https_port, mpm="event", interval=5,
                 probe_timeout=None, concurrency=None, stapling_timeout=5, extra=(),
                 responder_interval=None):
        self.root = Path(root)
        self.vhosts = list(vhosts)
        self.http_port, self.https_port = int(http_port), int(https_port)
        self.mpm, self.interval = mpm, interval
        self.probe_timeout, self.concurrency = probe_timeout, concurrency
        self.responder_interval = responder_interval
        self.stapling_timeout = stapling_timeout
        self.extra = list(extra)
        self.conf = self.root / "httpd.conf"

    @property
    def ports(self):
        return [self.http_port, self.https_port]

    def _vhost_block(self, v):
        lines = [f"<VirtualHost *:{self.https_port}>", f"    ServerName {v.name}"]
        lines += [f"    ServerAlias {a}" for a in v.aliases]
        lines += ["    SSLEngine on", f'    SSLCertificateFile "{v.cert}"',
                  f'    SSLCertificateKeyFile "{v.key}"',
                  f"    SSLUseStapling {'on' if v.stapling else 'off'}"]
        lines += [f"    {d}" for d in v.extra] + ["</VirtualHost>"]
        return lines

    def write(self):
        root, mods = self.root, H.module_dir()
        for d in ("run", "logs", "htdocs"):
            (root / d).mkdir(parents=True, exist_ok=True)
        (root / "htdocs" / PAGE_PATH.lstrip("/")).write_text("<html><body>plain page</body></html>\n")
        load = [f"mpm_{self.mpm}", "authz_core", "socache_shmcb", "ssl", "status"]
        lines = [f'ServerRoot "{root}"', f'DefaultRuntimeDir "{root}/run"',
                 f'PidFile "{root}/run/httpd.pid"', f'ErrorLog "{root}/logs/error.log"']
        lines += [f'LoadModule {m}_module "{mods}/mod_{m}.so"' for m in load]
        lines += [f'LoadModule ocsp_audit_module "{module_path()}"',
                  "LogLevel warn ocsp_audit:debug",
                  "ServerName main.test", f'DocumentRoot "{root}/htdocs"',
                  f"Listen {LOOPBACK}:{self.http_port}",
                  f"Listen {LOOPBACK}:{self.https_port}",
                  f'SSLStaplingCache "shmcb:{root}/run/stapling(131072)"',
                  f"SSLStaplingResponderTimeout {self.stapling_timeout}",
                  f"OcspAuditProbeInterval {self.interval}"]
        if self.probe_timeout is not None:
            lines.append(f"OcspAuditProbeTimeout {self.probe_timeout}")
        if self.concurrency is not None:
            lines.append(f"OcspAuditProbeConcurrency {self.concurrency}")
        if self.responder_interval is not None:
            lines.append(f"OcspAuditResponderInterval {self.responder_interval}")
        lines += ["ExtendedStatus On",
                  f"<Location {STATUS_PATH}>", "    SetHandler ocsp-audit-status", "</Location>",
                  "<Location /server-status>", "    SetHandler server-status", "</Location>"]
        lines += self.extra
        for v in self.vhosts:
            block = self._vhost_block(v)
            if v.include_dir is not None:
                inc = Path(v.include_dir)
                inc.mkdir(parents=True, exist_ok=True)
                f = inc / "vhost.conf"
                f.write_text("\n".join(block) + "\n")
                v.file = str(f)
                lines.append(f'Include "{f}"')
            else:
                v.file = str(self.conf)
                lines += block
        self.conf.write_text("\n".join(lines) + "\n")
        readable_tree(root)
        return self

    def check(self):
        r = H.httpd_check(self.root, self.conf)
        if r.returncode != 0:
            raise AssertionError(f"apache2 -t rejects {self.conf}:\n{r.stdout}{r.stderr}\n"
                                 + self.conf.read_text())
        return r.stdout + r.stderr

    def instance(self, workdir):
        return H.HttpdInstance(self.root, self.conf, Path(workdir), ports=self.ports,
                               start_timeout=60)


def graceful(inst, timeout=60):
    """`apache2 -d ROOT -f CONF -c <the instance's -c directives> -k graceful`."""
    cmd = inst.command()
    args = [a for a in cmd[1:] if a != "-DFOREGROUND"] + ["-k", "graceful"]
    return H.run_httpd(args, env=inst.env, timeout=timeout)


# --------------------------------------------------------------------------- HTTP

class Answer:
    def __init__(self, status, headers, body, elapsed):
        self.status, self.headers, self.body, self.elapsed = status, headers, body, elapsed

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def get(port, path, timeout=10.0, host=LOOPBACK):
    """One HTTP/1.1 GET on a fresh connection: Answer (status, headers, body, elapsed)."""
    t0 = time.monotonic()
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Connection": "close"})
        r = c.getresponse()
        body = r.read()
        return Answer(r.status, r.getheaders(), body, time.monotonic() - t0)
    finally:
        c.close()


def get_json(port, timeout=10.0):
    a = get(port, STATUS_PATH + "?json", timeout)
    assert a.status == 200, f"?json: HTTP {a.status}: {a.text[:2000]}"
    return schemas.validate("ocsp-status.schema.json", json.loads(a.text))


def get_auto(port, timeout=10.0, path=STATUS_PATH + "?auto"):
    a = get(port, path, timeout)
    assert a.status == 200, f"{path}: HTTP {a.status}: {a.text[:2000]}"
    return a.text


def get_prometheus(port, timeout=10.0):
    a = get(port, STATUS_PATH + "?prometheus", timeout)
    assert a.status == 200, f"?prometheus: HTTP {a.status}: {a.text[:2000]}"
    return a


def vhost_by_name(doc, name):
    found = [v for v in doc["vhosts"] if v["name"] == name]
    assert len(found) == 1, f"{len(found)} vhosts named {name!r} in ?json: " \
                            f"{[v['name'] for v in doc['vhosts']]}"
    return found[0]


def first_round_done(port):
    """The ?json document once every vhost has been probed (checked_at set), else None."""
    try:
        doc = get_json(port)
    except (OSError, ValueError, http.client.HTTPException):
        return None
    vs = doc.get("vhosts") or []
    return doc if vs and all(v["live"]["checked_at"] for v in vs) else None


def wait_first_round(port, timeout=60):
    doc = wait_for(lambda: first_round_done(port), timeout, 0.2)
    assert doc, f"no complete probe round within {timeout} s:\n" \
                f"{json.dumps(get_json(port), indent=1)[:6000]}"
    return doc


# --------------------------------------------------------------------------- ?auto, ?prometheus

def parse_auto(text):
    """mod_status-style "Key: value" lines -> (summary dict, [per-vhost dicts by index]).
    Raises on a line that is not "Key: value"."""
    summary, per = {}, {}
    for ln in text.splitlines():
        if not ln:
            continue
        m = re.match(r"^([A-Za-z][A-Za-z0-9\[\]]*): ?(.*)$", ln)
        if not m:
            raise AssertionError(f"?auto line not 'Key: value': {ln!r}")
        key, val = m.groups()
        mi = re.match(r"^OcspAudit\[(\d+)\](\w+)$", key)
        if mi:
            per.setdefault(int(mi.group(1)), {})[mi.group(2)] = val
        else:
            summary[key] = val
    vhosts = [per[i] for i in sorted(per)]
    assert sorted(per) == list(range(len(per))), f"?auto indexes not 0..n-1: {sorted(per)}"
    return summary, vhosts


_RE_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_RE_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def _unescape_label(v):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def parse_prometheus(text):
    """Text exposition -> {"types": {name: type}, "help": {name: text},
    "samples": [(name, {label: value}, float)]}. Raises on a malformed line."""
    out = {"types": {}, "help": {}, "samples": []}
    for ln in text.splitlines():
        if not ln.strip():
            continue
        if ln.startswith("# HELP "):
            name, _, h = ln[7:].partition(" ")
            out["help"][name] = h
            continue
        if ln.startswith("# TYPE "):
            name, _, t = ln[7:].partition(" ")
            out["types"][name] = t
            continue
        if ln.startswith("#"):
            continue
        m = _RE_SAMPLE.match(ln)
        if not m:
            raise AssertionError(f"malformed Prometheus sample line: {ln!r}")
        labels = {}
        if m.group(2):
            pos, s = 0, m.group(2)
            while pos < len(s):
                lm = _RE_LABEL.match(s, pos)
                if not lm:
                    raise AssertionError(f"malformed labels in {ln!r}")
                labels[lm.group(1)] = _unescape_label(lm.group(2))
                pos = lm.end()
        out["samples"].append((m.group(1), labels, float(m.group(3))))
    return out


def prom_value(prom, metric, **labels):
    """The single sample of metric whose labels include the given ones, else None."""
    found = [v for n, ls, v in prom["samples"]
             if n == metric and all(ls.get(k) == val for k, val in labels.items())]
    assert len(found) <= 1, f"{len(found)} samples of {metric} {labels}"
    return found[0] if found else None


def promtool_check(promtool, text, timeout=60):
    """`promtool check metrics` with text on stdin: (returncode, output lines)."""
    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=timeout, env=H.minimal_env())
    lines = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.strip()]
    return r.returncode, lines


# --------------------------------------------------------------------------- TLS

def s_client_staple(port, servername, timeout=30):
    """`openssl s_client -connect 127.0.0.1:PORT -servername NAME -status`: (state, text)
    with state "none" (no response sent), the Cert Status (good, revoked, unknown) of a
    successful response, or the OCSP Response Status otherwise (tryLater, ...)."""
    hs = F.s_client_connected(port, servername, timeout)
    out = hs["output"]
    if hs["no_response"]:
        return "none", out
    if not hs["response_status"]:
        raise H.HarnessError(f"s_client shows no OCSP response section:\n{out}")
    if hs["response_status"] != "successful":
        return hs["response_status"], out
    return (hs["cert_status"] or "successful-without-status"), out


# --------------------------------------------------------------------------- chromium

class Chromium:
    """Headless Chromium (Debian's), run once per call with a fresh profile directory."""

    FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio"]

    def __init__(self, binary):
        self.binary = binary

    def _run(self, args, timeout):
        profile = tempfile.mkdtemp(prefix="oa-chromium-")
        cmd = [self.binary] + self.FLAGS + [f"--user-data-dir={profile}"] + args
        env = H.minimal_env({"HOME": profile})
        try:
            # a process group of its own: chromium's helpers go with it on a timeout
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, env=env, start_new_session=True)
            try:
                out, err = p.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.communicate()
                raise AssertionError(f"chromium did not finish in {timeout} s: {' '.join(cmd)}")
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)   # helpers that outlived the browser
            return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        finally:
            shutil.rmtree(profile, ignore_errors=True)

    def dump_dom(self, url, timeout=120):
        rc, out, err = self._run(["--dump-dom", url], timeout)
        assert rc == 0 and "<html" in out.lower(), \
            f"chromium --dump-dom {url}: exit {rc}\nstdout:\n{out[:3000]}\nstderr:\n{err[-3000:]}"
        return out

    def screenshot(self, url, path, size=(1400, 900), timeout=120):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()
        rc, out, err = self._run([f"--screenshot={path}", f"--window-size={size[0]},{size[1]}",
                                  url], timeout)
        assert rc == 0 and path.is_file(), \
            f"chromium --screenshot: exit {rc}, file there: {path.is_file()}\n{err[-3000:]}"
        return path


def png_size(path):
    """(width, height) from a PNG's IHDR; raises when the file is not a PNG."""
    data = Path(path).read_bytes()[:32]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} has no PNG signature: {data[:8]!r}"
    assert data[12:16] == b"IHDR", f"{path}: no IHDR chunk first"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# --------------------------------------------------------------------------- a tiny DOM

class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children = []

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self, tag=None):
        for c in self.children:
            if isinstance(c, Node):
                if tag is None or c.tag == tag:
                    yield c
                yield from c.iter(tag)

    def find_id(self, ident):
        return next((n for n in self.iter() if n.attrs.get("id") == ident), None)


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}


class _DomBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", (), None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in _VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse_dom(text):
    b = _DomBuilder()
    b.feed(text)
    b.close()
    return b.root


# --------------------------------------------------------------------------- leaks

def shm_state():
    """(names in /dev/shm, shmids of `ipcs -m`)."""
    names = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    ids = set()
    r = subprocess.run(["ipcs", "-m"], capture_output=True, text=True, env=H.minimal_env(),
                       timeout=30)
    for ln in r.stdout.splitlines():
        cols = ln.split()
        if len(cols) >= 6 and cols[0].startswith("0x") and cols[1].isdigit():
            ids.add((cols[0], cols[1], cols[2], cols[4]))
    return names, ids


def shared_mappings(pid):
    """The shared mappings of a process (anonymous shared memory shows as "/dev/zero
    (deleted)"): a sorted list of (size in bytes, what), from /proc/PID/maps."""
    out = []
    with open(f"/proc/{pid}/maps") as f:
        for ln in f:
            cols = ln.split(None, 5)
            if len(cols) < 5 or "s" not in cols[1]:
                continue
            lo, hi = (int(x, 16) for x in cols[0].split("-"))
            what = cols[5].strip() if len(cols) > 5 else "[anonymous]"
            out.append((hi - lo, what))
    return sorted(out)


def apache_processes(marker):
    """PIDs of live processes whose command line mentions marker (a config path)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open(f"/proc/{d}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmd and state not in ("Z", "X"):
            pids.append(int(d))
    return pids


# --------------------------------------------------------------------------- error log

def log_lines(text, needle):
    return [ln for ln in text.splitlines() if needle in ln]


CRASH_PATTERNS = (r"Segmentation fault", r"exit signal", r"AH00052",
                  r"\[[a-z_0-9]*:(crit|emerg|alert)\]")


def round_count(text):
    """Probe rounds that ended, by the OA00026 lines of an error log."""
    return len(log_lines(text, "OA00026:"))


def wait_rounds(inst, n, timeout):
    """Wait until n more probe rounds than now have ended (OA00026 lines)."""
    start = round_count(inst.error_log_text())
    ok = wait_for(lambda: round_count(inst.error_log_text()) >= start + n, timeout, 0.2)
    assert ok, f"{n} more probe round(s) did not end in {timeout} s\n" \
               f"{inst.error_log_text()[-5000:]}"


def crash_lines(text):
    pats = [re.compile(p) for p in CRASH_PATTERNS]
    return [ln for ln in text.splitlines() if any(p.search(ln) for p in pats)]


# --------------------------------------------------------------------------- load

class LoadClient:
    """A thread that keeps asking for ?json and doing TLS handshakes (one of each per
    turn) until stop(), max_turns or max_seconds, whichever comes first. Keeps every
    answer's outcome: docs (parsed ?json documents with the time they came), bad_json
    (status and text of answers that did not parse), errors (transport failures, with the
    time), handshakes / handshake_errors."""

    def __init__(self, http_port, https_port, names, max_turns=5000, max_seconds=180,
                 pause=0.02, handshake_timeout=5.0):
        self.http_port, self.https_port = http_port, https_port
        self.names = list(names)
        self.max_turns, self.max_seconds, self.pause = max_turns, max_seconds, pause
        self.handshake_timeout = handshake_timeout
        self.docs, self.bad_json, self.errors = [], [], []
        self.handshakes, self.handshake_errors = 0, []
        self.turns = 0
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True, name="oa-load")
        self._thread.start()
        F.register(self)
        return self

    def _run(self):
        deadline = time.monotonic() + self.max_seconds
        while (not self._stop.is_set() and self.turns < self.max_turns
               and time.monotonic() < deadline):
            self.turns += 1
            try:
                a = get(self.http_port, STATUS_PATH + "?json", timeout=10)
                try:
                    if a.status != 200:
                        raise ValueError(f"HTTP {a.status}")
                    self.docs.append((time.monotonic(), schemas.validate(
                        "ocsp-status.schema.json", json.loads(a.text))))
                except (ValueError, schemas.SchemaError) as e:
                    self.bad_json.append((a.status, str(e), a.text[:2000]))
            except (OSError, http.client.HTTPException) as e:
                self.errors.append((time.monotonic(), f"?json: {type(e).__name__}: {e}"))
            name = self.names[self.turns % len(self.names)]
            try:
                tls_handshake(self.https_port, name, timeout=self.handshake_timeout)
                self.handshakes += 1
            except (OSError, ssl.SSLError) as e:
                self.handshake_errors.append((time.monotonic(), f"{name}: {type(e).__name__}: {e}"))
            time.sleep(self.pause)

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)
        F.unregister(self)

    def alive(self):
        return bool(self._thread and self._thread.is_alive())
