"""Helpers for test_live_checks.py: real faults for `ocsp-lint probe` and `--online`.

Everything here listens on 127.0.0.1 only -- except `openssl ocsp`, whose -port (OpenSSL
3.0) is a bare number and binds every interface; the tests accept that (the responder
serves a throw-away test PKI for a few seconds) and only ever connect to it on 127.0.0.1.

Every server is a context manager and is also recorded in a registry: stop_all() (called
by an autouse fixture after each test and at exit) stops whatever a failing test left.

From ocsp_fixtures.py (shared with the other helper modules, re-exported here):
  make_pki(dir, url)          tools/make-test-pki.sh
  OcspResponder(pki, port)    `openssl ocsp -index ...` in a process group of its own
  BlackHole(port)             accepts connections and never answers (a thread)
  FakeHttp(port, status, ct)  answers every request with a fixed HTTP response (a thread)
  stop_all, running_helpers, wait_until, port_listening, assert_port_free
Here:
  write_apache_config(...)    a self-contained apache2 config of SSL vhosts
  run_probe(...) / run_online(...)  ocsp-lint with JSON output and the elapsed time
  DeadResolver, resolver_namespace_prefix()  a resolver that never answers, for one
                              process only (a private mount namespace; root)
  s_client_status(...)        `openssl s_client -status`, parsed
  testssl_stapling(...)       testssl.sh -S, its OCSP_stapling / cert_ocspRevoked findings
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpd as H
import schemas
import ocsp_fixtures as F

# the shared pieces, under the names the tests use
LOOPBACK = F.LOOPBACK
OcspResponder, BlackHole, FakeHttp = F.OcspResponder, F.BlackHole, F.FakeHttp
make_pki, port_listening, assert_port_free = F.make_pki, F.port_listening, F.assert_port_free
stop_all, running_helpers, wait_until = F.stop_all, F.running, F.wait_until


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
    H.widen_modes(root)
    return root, conf, ports


def start_apache(stack, root, conf, ports, workdir):
    """Start apache2 (harness HttpdInstance) inside an ExitStack: stopped when it closes."""
    inst = H.HttpdInstance(root, conf, Path(workdir) / f"httpd-{Path(root).name}", ports=ports)
    stack.enter_context(inst)
    return inst


def apache(stack, workdir, name, vhosts, **kw):
    """write_apache_config in WORKDIR/NAME and start it in the stack: (root, conf, inst)."""
    root, conf, ports = write_apache_config(Path(workdir) / name, vhosts, **kw)
    inst = start_apache(stack, root, conf, ports, workdir)
    return root, conf, inst


def started(stack, server):
    """Start a helper server and have the stack stop it (stop() may also be called
    earlier: it is idempotent)."""
    server.start()
    stack.callback(server.stop)
    return server


def target(port):
    """A probe target on the loopback address."""
    return f"{LOOPBACK}:{port}"


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
        F.register(self)
        return self

    def stop(self):
        if self.sock:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None
        F.unregister(self)


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
    schemas.check(args, r.stdout)
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
    hs = F.s_client_connected(port, servername, timeout)
    out = hs["output"]
    res = {"stapled": None, "response_status": hs["response_status"],
           "cert_status": hs["cert_status"], "text": out}
    if hs["no_response"]:
        res["stapled"] = False
    if hs["response_status"]:
        res["stapled"] = True
    if res["stapled"] is None:
        raise H.HarnessError(f"s_client printed neither 'no response sent' nor an OCSP "
                             f"Response Status:\n{out}")
    return res


TESTSSL_NAMES = ("testssl", "testssl.sh")


def testssl_binary():
    """testssl.sh as Debian installs it (/usr/bin/testssl), or one on PATH."""
    return F.find_binary(TESTSSL_NAMES)


def ensure_testssl():
    """(path, None) or (None, why): installs Debian's testssl.sh with apt-get when it is
    missing and we are root."""
    return F.ensure_binary(TESTSSL_NAMES, "testssl.sh")


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
