"""`ocsp-lint probe` and `--online` against peers that misbehave on purpose, on loopback:

- peers that accept and close early or reset, next to a good site: the good site's report
  must still be printed and every bad peer classified (a write to a closed socket used to
  kill the linter with SIGPIPE, exit 141, nothing printed);
- certificates and responders whose strings carry terminal escape sequences and
  newlines: text output must show them escaped, never as raw control bytes;
- a name that resolves to several addresses: each address is probed and reported.

Every helper listens on 127.0.0.1 (or ::1) only and is stopped at the end of its test.

Run:  /usr/bin/python3 -m pytest tests/integration/test_hostile_peers.py   (project root)
"""

import contextlib
import datetime
import socket
import ssl
import struct
import subprocess
import threading
from pathlib import Path

import pytest

import httpd as H
import live_helpers as LH

pytestmark = pytest.mark.needs_lint

TIMEOUT = 2


@pytest.fixture(autouse=True)
def _everything_stopped():
    yield
    left = LH.stop_all()
    assert not left, f"helpers left running after the test (stopped now): {left}"


@pytest.fixture
def stack(httpd_bin, lint_bin):
    with contextlib.ExitStack() as s:
        yield s


def url_for(p, host="127.0.0.1"):
    return f"http://{host}:{p}/"


target, started, apache = LH.target, LH.started, LH.apache


def good_site(stack, workdir, free_port):
    """apache2 stapling good.test, with a real `openssl ocsp` responder. Returns the port."""
    rport = free_port()
    pki = LH.make_pki(Path(workdir) / "pki-good", url_for(rport))
    started(stack, LH.OcspResponder(pki, rport, logdir=workdir))
    hport = free_port()
    apache(stack, workdir, "site", [LH.pki_vhost(pki, "good", hport)])
    return hport


def run_text(args, limit=120):
    """ocsp-lint with text output; stdout and stderr as bytes (raw control bytes must be
    visible to the assertions)."""
    cmd = [H.lint_binary()] + [str(a) for a in args]
    r = subprocess.run(cmd, capture_output=True, env=H.minimal_env(), timeout=limit,
                       stdin=subprocess.DEVNULL)
    return r


def describe(r):
    return (f"$ {' '.join(map(str, r.args))}\nexit {r.returncode}\nstderr:\n"
            f"{r.stderr.decode(errors='replace')}\nstdout:\n"
            f"{r.stdout.decode(errors='replace')[:6000]}")


# --------------------------------------------------------------------------- peers

class Peer:
    """A TCP listener on 127.0.0.1:port (a thread) doing one thing with each connection:
    close: accept and close at once (the client's next writes meet a closed socket);
    reset: accept and reset (SO_LINGER 0);
    tls:   a TLS server (certificate cert, key) that completes the handshake and closes;
    http:  read the request and answer it with the raw bytes `reply`, then close."""

    def __init__(self, port, mode, cert=None, key=None, reply=b"", host="127.0.0.1"):
        self.port, self.mode, self.host = int(port), mode, host
        self.cert, self.key, self.reply = cert, key, reply
        self.accepted = 0
        self.sock = None
        self._thread = None
        self._stop = threading.Event()
        self._ctx = None

    def start(self):
        fam = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(128)
        s.settimeout(0.05)
        self.sock = s
        if self.mode == "tls":
            self._ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._ctx.load_cert_chain(str(self.cert), str(self.key))
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"peer-{self.mode}-{self.port}")
        self._thread.start()
        LH.F.register(self)
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        with contextlib.suppress(OSError, ssl.SSLError):
            c.settimeout(5)
            if self.mode == "reset":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif self.mode == "tls":
                c = self._ctx.wrap_socket(c, server_side=True)
            elif self.mode == "http":
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                c.sendall(self.reply)
        with contextlib.suppress(OSError):
            c.close()

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self.sock:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None
        LH.F.unregister(self)


# --------------------------------------------------------------------------- 7. SIGPIPE

def test_peers_closing_early_do_not_erase_the_report(stack, workdir, free_port):
    hport = good_site(stack, workdir, free_port)
    # a site whose responder accepts and closes at once: the request's second write meets
    # a closed socket (EPIPE); twenty of them make that certain
    closer = started(stack, Peer(free_port(), "close"))
    pki = LH.make_pki(Path(workdir) / "pki-bad", url_for(closer.port))
    tls = started(stack, Peer(free_port(), "tls", pki / "good-fullchain.pem", pki / "good.key"))
    tcp_close = started(stack, Peer(free_port(), "close"))
    tcp_reset = started(stack, Peer(free_port(), "reset"))
    bad = [target(tls.port)] * 20 + [target(tcp_close.port), target(tcp_reset.port)]
    args = ["probe", "--sni", "good.test", "--timeout", TIMEOUT, "--concurrency", 8,
            target(hport)] + bad

    r = run_text(args)
    out = r.stdout.decode()
    assert r.returncode == 1, describe(r)
    # reports stream as each host finishes: the good one is there, in whatever place
    assert out.count(f"{target(hport)} SNI good.test: ok\n") == 1, describe(r)
    assert out.count(f"{target(tls.port)} SNI good.test: PROBLEM\n") == 20, describe(r)
    assert out.count(f"responder {url_for(closer.port)}: unreachable: {url_for(closer.port)}: "
                     "the responder closed the connection without an answer") == 20, describe(r)
    assert out.rstrip().endswith("22 of 23 hosts with a problem"), describe(r)

    j = LH.run_probe([target(hport)] + bad, sni="good.test", timeout=TIMEOUT, concurrency=8)
    assert j.returncode == 1, j.describe()
    assert len(j.probes) == 23, j.describe()
    good = j.probe(0)
    assert good["target"] == target(hport) and good["ok"] is True, j.describe()
    assert good["staple"]["state"] == "good" and good["responder"]["verdict"] == "ok"
    for p in j.probes[1:21]:
        assert p["ok"] is False and p["error"] is None, p
        assert p["responder"]["verdict"] == "unreachable", p
        assert p["responder"]["error"] == "closed", p
    for p in j.probes[21:]:
        assert p["ok"] is False and p["error"] == "tls", p
        assert "closed" in p["message"] or "reset" in p["message"], p


# --------------------------------------------------------------------------- 8. escapes

EVIL = "\x1b[31m\nX"           # ESC [ 3 1 m, a newline, a letter


def evil_leaf(pki, ocsp_url, out_dir):
    """A leaf issued by the PKI's intermediate whose subject and OCSP URL carry EVIL.
    Returns (fullchain path, key path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID, AuthorityInformationAccessOID

    pki, out_dir = Path(pki), Path(out_dir)
    int_cert = x509.load_pem_x509_certificate((pki / "int.pem").read_bytes())
    int_key = serialization.load_pem_private_key((pki / "int.key").read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                        f"evil{EVIL}.test")]))
            .issuer_name(int_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier(ocsp_url))]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("evil.test")]),
                           critical=False)
            .sign(int_key, hashes.SHA256()))
    out_dir.mkdir(parents=True, exist_ok=True)
    chain = out_dir / "evil-fullchain.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM)
                      + (pki / "int.pem").read_bytes())
    keyf = out_dir / "evil.key"
    keyf.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return chain, keyf


def assert_escaped(r, *needles):
    out = r.stdout
    assert b"\x1b" not in out and b"\r" not in out, describe(r)
    for n in needles:
        assert n.encode() in out, f"{n!r} not in the output\n{describe(r)}"


def test_peer_and_certificate_bytes_are_escaped_in_text(stack, workdir, free_port):
    # the responder answers 500 with an escape sequence in its reason phrase
    responder = started(stack, Peer(free_port(), "http", reply=(
        b"HTTP/1.0 500 \x1b[31mBOOM\x1b[0m\r\nContent-Length: 0\r\n\r\n")))
    pki = LH.make_pki(Path(workdir) / "pki", url_for(responder.port))
    url = f"{url_for(responder.port)}{EVIL}"
    chain, key = evil_leaf(pki, url, Path(workdir) / "evil")
    site = started(stack, Peer(free_port(), "tls", chain, key))

    r = run_text(["probe", "--sni", "evil.test", "--timeout", TIMEOUT, target(site.port)])
    assert r.returncode == 1, describe(r)
    esc_url = f"{url_for(responder.port)}\\x1b[31m\\nX"
    assert_escaped(r, f"    responder {esc_url}: http-error: ", "\\x1b[31mBOOM\\x1b[0m")
    lines = r.stdout.decode().splitlines()
    assert lines[0] == f"{target(site.port)} SNI evil.test: PROBLEM", describe(r)
    assert all(l.startswith("    ") for l in lines[1:]), describe(r)
    # the subject: OpenSSL's RFC 2253 printing already escapes its control bytes
    assert "    certificate CN=evil\\1B[31m\\0AX.test, issued by" in r.stdout.decode(), describe(r)

    # --online reads the same certificate from a configuration
    root = Path(workdir) / "conf"
    root.mkdir()
    conf = root / "main.conf"
    mods = H.module_dir()
    conf.write_text(f"LoadModule mpm_event_module {mods}/mod_mpm_event.so\n"
                    f"LoadModule ssl_module {mods}/mod_ssl.so\nListen 127.0.0.1:{site.port}\n"
                    f"<VirtualHost 127.0.0.1:{site.port}>\nServerName evil.test\n"
                    f"SSLEngine on\nSSLCertificateFile \"{chain}\"\n"
                    f"SSLCertificateKeyFile \"{key}\"\n</VirtualHost>\n")
    r = run_text(["--online", "--no-envvars", "--timeout", TIMEOUT, "-d", root, conf])
    assert r.returncode == 1, describe(r)
    assert_escaped(r, f": error: responder {esc_url}: http-error: ", "\\x1b[31mBOOM\\x1b[0m")
    online = [l for l in r.stdout.decode().splitlines() if l.endswith("[online]")]
    assert len(online) == 1, describe(r)


# --------------------------------------------------------------------------- 9. every address

def hosts_namespace(workdir, entries):
    """A command prefix running the rest in a private mount namespace whose /etc/hosts
    holds entries (the host's file is untouched); skips when that is impossible or when
    the resolver would not give every address (AI_ADDRCONFIG, as APR asks)."""
    ok, why = LH.namespaces_usable()
    if not ok:
        pytest.skip(why)
    hosts = Path(workdir) / "hosts"
    hosts.write_text("".join(f"{ip} {name}\n" for ip, name in entries))
    prefix = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"',
              str(hosts)]
    names = {name for _, name in entries}
    check = ("import socket,sys\n"
             "print(sorted({a[4][0] for a in socket.getaddrinfo(sys.argv[1], 443, 0, "
             "socket.SOCK_STREAM, 0, socket.AI_ADDRCONFIG)}))")
    for name in names:
        want = sorted(ip for ip, n in entries if n == name)
        r = subprocess.run(prefix + ["/usr/bin/python3", "-c", check, name],
                           capture_output=True, text=True, timeout=30, env=H.minimal_env())
        if r.stdout.strip() != repr(want):
            pytest.skip(f"{name} does not resolve to {want} here: {r.stdout}{r.stderr}")
    return prefix


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError as e:
        pytest.skip(f"no IPv6 loopback: {e}")


def free_port_both():
    """A port free on 127.0.0.1 and on ::1."""
    for _ in range(50):
        p = H.free_port()
        with socket.socket(socket.AF_INET6) as s:
            try:
                s.bind(("::1", p))
            except OSError:
                continue
        return p
    raise AssertionError("no port free on both loopbacks")


def test_every_address_of_a_name_is_probed(stack, workdir, free_port):
    ipv6_loopback()
    prefix = hosts_namespace(workdir, [("127.0.0.1", "dual.test"), ("::1", "dual.test")])
    # the responder is on 127.0.0.1 only, behind the same name: its check must get past
    # ::1 (refused) to 127.0.0.1, as mod_ssl and curl do
    rport = free_port_both()
    pki = LH.make_pki(Path(workdir) / "pki", f"http://dual.test:{rport}/")
    resp = LH.F.LoopbackResponder(pki, rport).start()
    stack.callback(resp.stop)
    port = free_port_both()
    started(stack, Peer(port, "tls", pki / "good-fullchain.pem", pki / "good.key"))
    v6 = started(stack, Peer(port, "tls", pki / "other-fullchain.pem", pki / "other.key",
                             host="::1"))
    tgt = f"dual.test:{port}"

    r = LH.run_probe([tgt], sni="good.test", timeout=TIMEOUT, prefix=prefix)
    assert r.returncode == 1, r.describe()
    assert len(r.probes) == 2, r.describe()
    by_ip = {p["ip"]: p for p in r.probes}
    assert set(by_ip) == {"127.0.0.1", "::1"}, r.describe()
    for p in r.probes:
        assert p["target"] == tgt and p["host"] == "dual.test" and p["port"] == port, p
        assert p["addresses"] == 2 and p["sni"] == "good.test" and p["error"] is None, p
    assert by_ip["127.0.0.1"]["subject"] == "CN=good.test", r.describe()
    assert by_ip["::1"]["subject"] == "CN=other.test", r.describe()
    assert by_ip["127.0.0.1"]["responder"]["verdict"] == "ok", r.describe()
    assert by_ip["127.0.0.1"]["responder"]["ip"] == "127.0.0.1", r.describe()

    # the node on ::1 goes down: reported for that address alone
    v6.stop()
    r = LH.run_probe([tgt], sni="good.test", timeout=TIMEOUT, prefix=prefix)
    by_ip = {p["ip"]: p for p in r.probes}
    assert set(by_ip) == {"127.0.0.1", "::1"}, r.describe()
    assert by_ip["::1"]["error"] == "refused" and by_ip["::1"]["ok"] is False, r.describe()
    assert by_ip["127.0.0.1"]["error"] is None, r.describe()
    assert by_ip["127.0.0.1"]["subject"] == "CN=good.test", r.describe()

    # text: one report per address, the address in brackets
    t = subprocess.run(prefix + [H.lint_binary(), "probe", "--sni", "good.test", "--timeout",
                                 str(TIMEOUT), tgt], capture_output=True, text=True,
                       timeout=120, env=H.minimal_env(), stdin=subprocess.DEVNULL)
    heads = sorted(l for l in t.stdout.splitlines() if not l.startswith(" "))
    # and the two addresses of the name compared: they disagree on stapling (one does
    # not answer), with no majority either way
    assert heads == ["2 of 2 hosts with a problem",
                     f"{tgt} [127.0.0.1] SNI good.test: PROBLEM",
                     f"{tgt} [127.0.0.1]: stapling no-staple (the nodes disagree)",
                     f"{tgt} [::1] SNI good.test: PROBLEM",
                     f"{tgt} [::1]: stapling unreachable (the nodes disagree)"], t.stdout
    assert "    error (refused): connecting to ::1 port" in t.stdout, t.stdout
