"""The module must never harm the server it watches (issue: safe in production).

  test_graceful_restarts_mid_round     1,000 SSL vhosts, probing with its defaults, 20
                                       graceful restarts 2.5 s apart under keep-alive
                                       load: no child crashes (AH00052), every request
                                       answered
  test_strict_mode_never_kills_a_restart   OcspAuditStrict On refuses at apachectl -t and
                                       at a cold start, and at a graceful restart logs
                                       OA00005 while the server keeps serving
  test_responders_asked_politely       only stapled certificates are asked about, and no
                                       more often than OcspAuditResponderInterval (counted
                                       by serial number in the responder's own log)
  test_ocsp_proxy_url                  SSLOCSPProxyURL: the responder check goes through
                                       the proxy as mod_ssl's requests do (a real apache2
                                       proxy), with our User-Agent
  test_one_log_line_per_outage         30 vhosts on one responder: one OA00022 and one
                                       OA00024 line for the outage, naming the vhosts
  test_staple_checked_with_configured_issuer   the served chain lacks the issuer, mod_ssl
                                       staples with the issuer another vhost gave for the
                                       same certificate: the staple is good (verified),
                                       the chain is a warning
  test_unreadable_responder_answer     a 10 MB header line is not "closed without an
                                       answer"

Run:  /usr/bin/python3 -m pytest tests/integration/test_production_safety.py
"""

import http.client
import json
import re
import socket
import subprocess
import threading
import time

import pytest

import httpd as H
import status_helpers as S


# every helper process a test starts is stopped by it (conftest.helpers_stopped)
pytestmark = pytest.mark.usefixtures("helpers_stopped")


class KeepAliveLoad:
    """A thread that asks for the plain page over one kept-alive connection (opened again
    when the server closes it), until stop(). failures: requests that got no answer."""

    def __init__(self, port, max_seconds=240):
        self.port, self.max_seconds = port, max_seconds
        self.answers, self.reconnects, self.failures = 0, 0, []
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True, name="oa-keepalive")
        self._thread.start()
        S.F.register(self)
        return self

    def _run(self):
        deadline = time.monotonic() + self.max_seconds
        conn = None
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(S.LOOPBACK, self.port, timeout=30)
                    self.reconnects += 1
                conn.request("GET", S.PAGE_PATH)
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    self.failures.append(f"HTTP {r.status}")
                self.answers += 1
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                # a kept-alive connection closed by a restarting child is normal: the
                # request is sent again on a new connection, once
                if conn is not None:
                    conn.close()
                    conn = None
                    try:
                        c2 = http.client.HTTPConnection(S.LOOPBACK, self.port, timeout=30)
                        c2.request("GET", S.PAGE_PATH)
                        r = c2.getresponse()
                        r.read()
                        self.answers += 1
                        conn = c2
                        continue
                    except (OSError, http.client.HTTPException) as e2:
                        self.failures.append(f"{type(e2).__name__}: {e2}")
                else:
                    self.failures.append(f"{type(e).__name__}: {e}")
            time.sleep(0.01)

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)
        S.F.unregister(self)

    def alive(self):
        return bool(self._thread and self._thread.is_alive())


# --------------------------------------------------------------------------- 0

def test_graceful_restarts_mid_round(httpd_bin, workdir):
    """Item 0: the crash at graceful restarts. Each new generation's watchdog starts a
    round at once; with 1,000 vhosts it is still running 2.5 s later when the next
    restart tells that generation's child to exit."""
    S.require_module()
    rport = H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    vhosts = [S.Vhost(f"v{i}.test", pki.cert("good"), pki.key("good")) for i in range(1000)]
    site = S.Site(workdir / "site", vhosts, H.free_port(), H.free_port(), interval=60,
                  probe_timeout=5).write()
    site.check()
    with S.Responder(pki, rport), site.instance(workdir / "run") as inst:
        t0 = time.monotonic()
        S.wait_first_round(site.http_port, timeout=120)
        first_round = time.monotonic() - t0
        load = KeepAliveLoad(site.http_port).start()
        tls = S.LoadClient(site.http_port, site.https_port, ["v1.test", "v500.test"],
                           max_turns=100000, max_seconds=240, pause=0.5,
                           handshake_timeout=30).start()
        try:
            for i in range(20):
                time.sleep(2.5)
                r = S.graceful(inst)
                assert r.returncode == 0, f"graceful #{i + 1}: {r.stdout}{r.stderr}"
                assert inst.running(), f"apache2 gone after graceful #{i + 1}\n" \
                                       f"{inst.error_log_text()[-5000:]}"
            time.sleep(3)
        finally:
            load.stop()
            tls.stop()
        log = inst.error_log_text()
    problems = []
    # a SIGUSR1 that comes while the parent still reads the last config (1,000 vhosts
    # take it a second or two) is folded into that restart by httpd
    gens = len(S.log_lines(log, "AH00493"))
    if gens < 10:
        problems.append(f"{gens} graceful restarts logged (AH00493), expected 10 to 20")
    crashes = S.crash_lines(log)
    if crashes:
        problems.append(f"{len(crashes)} crash lines:\n  " + "\n  ".join(crashes[:20]))
    if load.failures:
        problems.append(f"{len(load.failures)} kept-alive requests failed: {load.failures[:5]}")
    if load.answers < 100:
        problems.append(f"only {load.answers} kept-alive answers during the restarts")
    if tls.handshake_errors:
        problems.append(f"{len(tls.handshake_errors)} handshakes failed: {tls.handshake_errors[:5]}")
    print(f"first round over 1,000 vhosts after {first_round:.1f} s; "
          f"{load.answers} kept-alive answers ({load.reconnects} connections), "
          f"{tls.handshakes} handshakes, {len(tls.docs)} ?json, "
          f"{len(S.log_lines(log, 'OA00026:'))} rounds completed")
    assert not problems, "\n".join(problems) + f"\n--- error log (tail):\n{log[-6000:]}"


# --------------------------------------------------------------------------- 1

def test_strict_mode_never_kills_a_restart(httpd_bin, workdir):
    S.require_module()
    rport = H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    S.add_leaf(pki, "nochain")
    good = S.Vhost("good.test", pki.cert("good"), pki.key("good"))
    # the leaf alone: mod_ssl cannot build the OCSP request (OA201, an error)
    broken = S.Vhost("nochain.test", pki.cert("nochain", chain=False), pki.key("nochain"))
    ports = (H.free_port(), H.free_port())
    site = S.Site(workdir / "site", [good], *ports, extra=["OcspAuditStrict On"]).write()
    site.check()
    with site.instance(workdir / "run") as inst:
        assert S.get(site.http_port, S.PAGE_PATH).status == 200
        # the overnight change: a vhost with an error finding, then a reload without -t
        site.vhosts.append(broken)
        site.write()
        r = S.graceful(inst)
        assert r.returncode == 0, r.stdout + r.stderr
        ok = S.wait_for(lambda: "OA00005:" in inst.error_log_text(), 20, 0.2)
        log = inst.error_log_text()
        assert ok, f"no OA00005 after the restart\n{log[-5000:]}"
        time.sleep(1)
        assert inst.running(), f"httpd exited at the restart\n{log[-5000:]}"
        page = S.get(site.http_port, S.PAGE_PATH)
        assert page.status == 200, f"the page after the restart: HTTP {page.status}"
        assert "OA00004" not in log and "AH00020" not in log, log[-5000:]
        assert S.log_lines(log, "OA00005:")[0].count("1 error-level finding") == 1
        # the same config at apachectl -t: refused
        t = H.httpd_check(site.root, site.conf)
        assert t.returncode == 1, f"configtest exit {t.returncode}: {t.stdout}{t.stderr}"
        assert "OA00004" in t.stdout + t.stderr
    # and at a cold start: refused
    cold = site.instance(workdir / "cold")
    with pytest.raises(H.HttpdStartError) as e:
        cold.start()
    assert "OA00004" in cold.error_log_text() + cold.stderr_text(), str(e.value)


# --------------------------------------------------------------------------- 3

def _serial(pki, leaf):
    out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in",
                              str(pki.cert(leaf, chain=False))],
                             capture_output=True, text=True, timeout=30)
    return out.stdout.strip().split("=")[1].upper()


def _asked(text, serial):
    """How many requests the responder's -text log shows for a serial number (the first
    serial after each "OCSP Request Data:")."""
    n = 0
    for chunk in text.split("OCSP Request Data:")[1:]:
        m = re.search(r"Serial Number: ([0-9A-Fa-f]+)", chunk)
        n += bool(m and m.group(1).upper().lstrip("0") == serial.lstrip("0"))
    return n


def test_responders_asked_politely(httpd_bin, workdir):
    """Six rounds: the module asks once about the stapled certificate (two vhosts share
    it), never about the unstapled one. Its questions are told from mod_ssl's by their
    User-Agent in the access log of a proxy (SSLOCSPProxyURL, which both use); the
    responder's own log counts every request by serial number."""
    S.require_module()
    rport, pport = H.free_port(), H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    S.add_leaf(pki, "unstapled")
    vhosts = [S.Vhost("good.test", pki.cert("good"), pki.key("good")),
              S.Vhost("good2.test", pki.cert("good"), pki.key("good")),
              S.Vhost("unstapled.test", pki.cert("unstapled"), pki.key("unstapled"),
                      stapling=False)]
    site = S.Site(workdir / "site", vhosts, H.free_port(), H.free_port(), interval=5,
                  extra=[f"SSLOCSPProxyURL http://127.0.0.1:{pport}/"]).write()
    site.check()
    proxy_root = workdir / "proxy"
    pconf = _proxy_conf(proxy_root, pport, rport)
    with S.Responder(pki, rport, text=True) as resp, \
            H.HttpdInstance(proxy_root, pconf, workdir / "proxy-run", ports=[pport]), \
            site.instance(workdir / "run") as inst:
        S.wait_first_round(site.http_port)
        S.wait_rounds(inst, 5, 60)
        log = resp.log_text()
        access = (proxy_root / "logs" / "access.log").read_text()
        doc = S.get_json(site.http_port)
    ours = [ln for ln in access.splitlines() if "|mod_ocsp_audit/" in ln]
    good, off = _serial(pki, "good"), _serial(pki, "unstapled")
    n_good, n_off = _asked(log, good), _asked(log, off)
    print(f"6 rounds: {len(ours)} questions of the module; at the responder {n_good} "
          f"requests for good's serial, {n_off} for the unstapled one")
    assert n_off == 0, f"the responder was asked {n_off} times about a certificate no " \
                       f"vhost staples"
    assert len(ours) == 1, f"the module asked {len(ours)} times in 6 rounds:\n{access}"
    assert n_good == len(access.splitlines()), \
        f"the responder saw {n_good} requests, the proxy {len(access.splitlines())}"
    r = S.vhost_by_name(doc, "good.test")["live"]["responder"]
    assert r["reachable"] is True and r["checked_at"], r


# --------------------------------------------------------------------------- 2

def _proxy_conf(root, port, backend_port):
    mods = H.module_dir()
    root.mkdir(parents=True, exist_ok=True)
    (root / "logs").mkdir(exist_ok=True)
    conf = root / "proxy.conf"
    lines = [f'ServerRoot "{root}"', f'PidFile "{root}/proxy.pid"',
             f'ErrorLog "{root}/logs/error.log"', "ServerName proxy.test"]
    lines += [f'LoadModule {m}_module "{mods}/mod_{m}.so"'
              for m in ("mpm_event", "authz_core", "proxy", "proxy_http")]
    lines += [f"Listen 127.0.0.1:{port}",
              'LogFormat "%r|%{User-Agent}i|%>s" oa',
              f'CustomLog "{root}/logs/access.log" oa',
              # an absolute-form request target ("POST http://ocsp.invalid:N/") is taken
              # as a request for its path: this gateway forwards it to the responder
              f"ProxyPass / http://127.0.0.1:{backend_port}/"]
    conf.write_text("\n".join(lines) + "\n")
    S.readable_tree(root)
    return conf


def test_ocsp_proxy_url(httpd_bin, workdir):
    S.require_module()
    rport, pport = H.free_port(), H.free_port()
    # a responder name that does not resolve: only the proxy reaches it
    url = f"http://ocsp.invalid:{rport}/"
    pki = S.make_pki(workdir / "pki", url)
    proxy_url = f"http://127.0.0.1:{pport}/"
    vhosts = [S.Vhost("good.test", pki.cert("good"), pki.key("good"))]
    site = S.Site(workdir / "site", vhosts, H.free_port(), H.free_port(), interval=5,
                  responder_interval=10, extra=[f"SSLOCSPProxyURL {proxy_url}"]).write()
    site.check()
    proxy_root = workdir / "proxy"
    pconf = _proxy_conf(proxy_root, pport, rport)
    with S.Responder(pki, rport), \
            H.HttpdInstance(proxy_root, pconf, workdir / "proxy-run", ports=[pport]), \
            site.instance(workdir / "run") as inst:
        S.wait_first_round(site.http_port)
        seen, _ = S.s_client_staple(site.https_port, "good.test")
        assert seen == "good", f"mod_ssl does not staple through the proxy: {seen}"

        def asked_through_proxy():
            try:
                text = (proxy_root / "logs" / "access.log").read_text()
            except OSError:
                return None
            ours = [ln for ln in text.splitlines() if "mod_ocsp_audit/" in ln]
            return ours or None

        ours = S.wait_for(asked_through_proxy, 40, 0.5)
        doc = S.get_json(site.http_port)
        access = (proxy_root / "logs" / "access.log").read_text()
        assert ours, f"the module never asked through the proxy:\n{access}\n" \
                     f"{inst.error_log_text()[-4000:]}"
        S.wait_rounds(inst, 1, 20)
        doc = S.get_json(site.http_port)
    assert all(ln.startswith(f"POST {url} HTTP/1.") and ln.endswith("|200") for ln in ours), ours
    r = S.vhost_by_name(doc, "good.test")["live"]["responder"]
    assert r["reachable"] is True and r["proxy"] == proxy_url and r["url"] == url, r
    assert r["error"] is None, r


# --------------------------------------------------------------------------- 5

def test_one_log_line_per_outage(httpd_bin, workdir):
    S.require_module()
    rport = H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    vhosts = [S.Vhost(f"v{i:02d}.test", pki.cert(("good", "muststaple")[i % 2]),
                      pki.key(("good", "muststaple")[i % 2])) for i in range(30)]
    site = S.Site(workdir / "site", vhosts, H.free_port(), H.free_port(), interval=5,
                  responder_interval=10).write()
    site.check()
    with S.Responder(pki, rport) as resp, site.instance(workdir / "run") as inst:
        S.wait_first_round(site.http_port)
        resp.stop()

        def all_down():
            d = S.get_json(site.http_port)
            return d if all(v["live"]["responder"]["reachable"] is False
                            for v in d["vhosts"]) else None

        doc = S.wait_for(all_down, 60, 0.5)
        log = inst.error_log_text()
        assert doc, f"not every vhost shows the responder down\n{log[-4000:]}"
        S.wait_rounds(inst, 2, 30)
        log = inst.error_log_text()
    down, soon = S.log_lines(log, "OA00022:"), S.log_lines(log, "OA00024:")
    assert len(down) == 1, f"{len(down)} OA00022 lines for one outage:\n" + "\n".join(down)
    assert len(soon) == 1, f"{len(soon)} OA00024 lines for one outage:\n" + "\n".join(soon)
    assert f"OCSP responder {pki.url} is down" in down[0] and "affects 30 vhosts: v" in down[0] \
        and "and 20 more" in down[0], down[0]
    assert "30 vhosts: " in soon[0] and "will stop stapling at" in soon[0], soon[0]


# --------------------------------------------------------------------------- 6

def test_staple_checked_with_configured_issuer(httpd_bin, workdir):
    S.require_module()
    rport = H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    # leaf.test serves the leaf alone; full.test the same leaf with its chain: mod_ssl
    # keeps one OCSP entry per certificate and staples both (OpenSSL would complete a
    # chain from SSLCACertificateFile's store, so that is not the way to a missing issuer)
    vs = [S.Vhost("full.test", pki.cert("good"), pki.key("good")),
          S.Vhost("good.test", pki.cert("good", chain=False), pki.key("good"))]
    site = S.Site(workdir / "site", vs, H.free_port(), H.free_port(), interval=5).write()
    site.check()
    with S.Responder(pki, rport), site.instance(workdir / "run") as inst:
        doc = S.wait_first_round(site.http_port)
        seen, _ = S.s_client_staple(site.https_port, "good.test")
        auto = S.get_auto(site.http_port)
        page = S.get(site.http_port, S.STATUS_PATH).text
    vh = S.vhost_by_name(doc, "good.test")
    live = vh["live"]
    assert seen == "good", f"mod_ssl does not staple: {seen}\n{inst.error_log_text()[-3000:]}"
    assert live["staple"] == "good" and live["verified"] is True, live
    assert live["served_chain"] == "issuer-missing", live
    # (the vhost's level also carries the configuration's OA201 about good.test's files)
    assert "good, verified" in page and "not verified" not in page, page
    assert "OcspAudit[1]ServedChain: issuer-missing" in auto
    assert "the served chain lacks the issuer" in page


# --------------------------------------------------------------------------- 6c

class HugeHeader(S.F.Managed):
    """Answers every connection with a status line and a 10 MB header line (or payload)."""

    def __init__(self, port, payload=None):
        self.port = port
        self.payload = payload
        self._sock = None
        self._thread = None
        self._stop = threading.Event()

    def start(self):
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((S.LOOPBACK, self.port))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        S.F.register(self)
        return self

    def _run(self):
        body = self.payload or (b"HTTP/1.0 200 OK\r\nX-Huge: " + b"a" * (10 * 1024 * 1024)
                                + b"\r\n\r\n")
        while not self._stop.is_set():
            try:
                c, _ = self._sock.accept()
            except OSError:
                continue
            try:
                c.settimeout(5)
                c.recv(65536)
                c.sendall(body)
            except OSError:
                pass
            finally:
                c.close()

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
        if self._sock:
            self._sock.close()
        S.F.unregister(self)

    def alive(self):
        return bool(self._thread and self._thread.is_alive())


def test_unreadable_responder_answer(lint_bin, workdir):
    rport = H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    conf = workdir / "site.conf"
    conf.write_text("\n".join([
        "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so",
        "LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so",
        "LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so",
        "Listen 443", f'SSLStaplingCache "shmcb:{workdir}/stapling(65536)"',
        "<VirtualHost *:443>", "ServerName good.test", "SSLEngine on",
        f'SSLCertificateFile "{pki.cert("good")}"', f'SSLCertificateKeyFile "{pki.key("good")}"',
        "SSLUseStapling on", "</VirtualHost>"]) + "\n")
    with HugeHeader(rport):
        t0 = time.monotonic()
        r = H.run_lint([str(conf), "--online", "--format", "json"], timeout=60)
        took = time.monotonic() - t0
    text = (json.dumps(r.data) if r.data else r.stdout) + r.stderr
    assert "closed the connection without an answer" not in text, text[:3000]
    assert "not a readable HTTP response" in text, text[:3000]
    assert took < 30, f"took {took:.1f} s"


def test_peer_bytes_never_reach_the_log_raw(httpd_bin, workdir):
    """A responder whose reason phrase carries an escape sequence and a forged log line:
    OA00022 says it escaped."""
    S.require_module()
    rport = H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    site = S.Site(workdir / "site", [S.Vhost("good.test", pki.cert("good"), pki.key("good"))],
                  H.free_port(), H.free_port(), interval=5).write()
    site.check()
    evil = (b"HTTP/1.0 500 \x1b[31mBOOM\r\n[Sun Nov 29 00:00:00 2026] [core:emerg] forged\r\n"
            b"Content-Length: 0\r\n\r\n")
    with HugeHeader(rport, payload=evil), site.instance(workdir / "run") as inst:
        ok = S.wait_for(lambda: "OA00022:" in inst.error_log_text(), 40, 0.5)
        log = inst.error_log_text()
    assert ok, log[-3000:]
    line = S.log_lines(log, "OA00022:")[0]
    assert "\x1b" not in log and "\\x1b[31mBOOM" in line, line
    assert not any(ln.startswith("[Sun Nov 29 00:00:00 2026]") for ln in log.splitlines()), log
