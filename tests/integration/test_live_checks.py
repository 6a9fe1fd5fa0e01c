"""Live checks against faults made for real: `ocsp-lint probe` and `ocsp-lint --online`.

Each scenario builds a fresh test PKI (tools/make-test-pki.sh) whose OCSP URL points at
the fault, runs Debian's apache2 (stapling through mod_ssl) and whatever stands in for the
responder -- `openssl ocsp`, a listener that never answers, an HTTP server answering
nonsense, a name that does not resolve -- and checks that the probe classifies the fault
correctly AND promptly (the elapsed wall-clock time is asserted).

Everything listens on 127.0.0.1 (except `openssl ocsp`: see live_helpers.OcspResponder)
and is stopped at the end of each test, also when it fails (ExitStack + the autouse
fixture below, which fails a test that leaves a helper running). The dns-timeout case
points ocsp-lint alone at a silent resolver on 127.0.0.1:53 through a private mount
namespace (`unshare -m`, root); it is skipped where that is impossible.

Run:  /usr/bin/python3 -m pytest tests/integration/test_live_checks.py   (project root)

Needs: apache2, openssl, ocsp-lint (/work/build/lint/ocsp-lint or OCSP_LINT), and for the
peer cross-check testssl.sh (Debian package testssl.sh; installed with apt-get when it is
missing and we are root; those tests alone are skipped when it cannot be installed).
"""

import contextlib
import datetime
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import live_helpers as LH

pytestmark = pytest.mark.needs_lint

TIMEOUT = 2           # --timeout for the fault scenarios (seconds, per phase)
SLACK = 1.5           # what a timeout may overrun by
PROMPT = 2.0          # refused / DNS failures / HTTP errors: well under this


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(autouse=True)
def _everything_stopped():
    """After each test: nothing of live_helpers may still run (the test's ExitStack stops
    them; whatever is left is stopped here and fails the test)."""
    yield
    left = LH.stop_all()
    assert not left, f"helpers left running after the test (stopped now): {left}"


@pytest.fixture
def stack(httpd_bin, lint_bin):
    """An ExitStack closed at the end of the test (also on failure): servers entered into
    it are stopped in reverse order."""
    with contextlib.ExitStack() as s:
        yield s


def url_for(p):
    return f"http://127.0.0.1:{p}/"


target, started, apache = LH.target, LH.started, LH.apache


def assert_prompt(run, limit=PROMPT, what="the failure"):
    assert run.elapsed < limit, (f"{what} took {run.elapsed:.2f} s, expected < {limit} s "
                                 f"(no timeout should be involved)\n{run.describe()}")


def assert_about_timeout(run, timeout=TIMEOUT, what="the timeout"):
    assert timeout - 0.3 <= run.elapsed <= timeout + SLACK, (
        f"{what}: took {run.elapsed:.2f} s, expected the --timeout {timeout} s "
        f"(+{SLACK} s at most)\n{run.describe()}")


def index_revocation(pki, cn):
    """(revoked_at ISO, reason) of CN in the PKI's db/index.txt."""
    for line in (Path(pki) / "db" / "index.txt").read_text().splitlines():
        cols = line.split("\t")
        if cols[0] == "R" and cols[-1] == f"/CN={cn}":
            when, _, reason = cols[2].partition(",")
            t = datetime.datetime.strptime(when, "%y%m%d%H%M%SZ")
            return t.strftime("%Y-%m-%dT%H:%M:%SZ"), reason
    raise AssertionError(f"{cn} is not revoked in {pki}/db/index.txt")


def good_pki_with_responder(stack, workdir, free_port, signer="ocsp-signer", nmin=5):
    rport = free_port()
    pki = LH.make_pki(Path(workdir) / "pki", url_for(rport))
    resp = started(stack, LH.OcspResponder(pki, rport, signer=signer, nmin=nmin,
                                           logdir=workdir))
    return pki, resp


# --------------------------------------------------------------------------- 1. responder down

def test_01_responder_stopped_refused_and_cached_staple(stack, workdir, free_port):
    pki, resp = good_pki_with_responder(stack, workdir, free_port)
    hport = free_port()
    root, conf, _ = apache(stack, workdir, "site", [LH.pki_vhost(pki, "good", hport)])

    # while the responder runs: all good, and apache2 caches the staple it fetched
    first = LH.run_probe([target(hport)], sni="good.test", timeout=TIMEOUT)
    p = first.probe()
    assert first.returncode == 0 and p["ok"], first.describe()
    assert p["staple"]["state"] == "good" and p["responder"]["verdict"] == "ok", first.describe()

    resp.stop()
    assert not LH.port_listening(resp.port)

    r = LH.run_probe([target(hport)], sni="good.test", timeout=TIMEOUT)
    p = r.probe()
    rs = p["responder"]
    assert rs["verdict"] == "unreachable", r.describe()
    assert rs["error"] == "refused", r.describe()
    assert rs["url"] == url_for(resp.port)
    assert "refused" in (rs["message"] or "").lower(), r.describe()
    assert_prompt(r, what="a refused responder connection")
    assert r.returncode == 1 and p["ok"] is False, r.describe()
    assert "responder" in (p["problem"] or ""), r.describe()
    # apache2 keeps stapling the response it cached while the responder was up: the
    # probe still sees a good, verified, current staple -- the problem is the responder
    st = p["staple"]
    assert st["present"] and st["state"] == "good", r.describe()
    assert st["verified"] is True and st["time_ok"] is True, r.describe()
    peer = LH.s_client_status(hport, "good.test")
    assert peer["stapled"] and peer["cert_status"] == "good", peer["text"]

    # --online on the same configuration: the same classification
    o = LH.run_online(root, conf, timeout=TIMEOUT)
    entries = LH.online_entries(o, pki / "good-fullchain.pem")
    assert len(entries) == 1, o.describe()
    e = entries[0]
    assert e["skipped"] is False, o.describe()
    assert e["url"] == url_for(resp.port), o.describe()
    assert e["verdict"] == "unreachable" and e["error"] == "refused", o.describe()
    assert o.returncode == 1, o.describe()
    assert_prompt(o, what="--online with a refused responder")


# --------------------------------------------------------------------------- 2. hung responder

HUNG_RESPONDERS = {
    # accepts, never reads, never answers
    "silent": {},
    # accepts and answers one byte every 0.3 s: it never finishes, and a timeout per
    # read would never fire -- only a deadline for the whole answer ends it
    "trickle": {"trickle": b"HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n"
                           b"Content-Length: 2000\r\n\r\n" + b"0" * 2000,
                "interval": 0.3},
}


@pytest.mark.parametrize("kind", list(HUNG_RESPONDERS))
def test_02_hung_responder_times_out(kind, stack, workdir, free_port):
    bport = free_port()
    hole = started(stack, LH.BlackHole(bport, **HUNG_RESPONDERS[kind]))
    pki = LH.make_pki(Path(workdir) / "pki", url_for(bport))   # AIA -> the black hole
    hport = free_port()
    # stapling off: mod_ssl would itself wait on the black hole in the handshake
    apache(stack, workdir, "site", [LH.pki_vhost(pki, "good", hport, stapling=False)])

    r = LH.run_probe([target(hport)], sni="good.test", timeout=TIMEOUT)
    p = r.probe()
    rs = p["responder"]
    assert hole.accepted >= 1, "the probe never connected to the black hole"
    assert rs["error"] == "timeout", r.describe()
    assert rs["verdict"] == "unreachable", r.describe()
    if kind == "silent":
        assert "no answer" in (rs["message"] or ""), r.describe()
    else:
        assert hole.sent >= 2, "the trickling responder sent nothing"
    assert rs["connect_ms"] < 1000, r.describe()          # the connection itself succeeds
    assert (TIMEOUT - 0.3) * 1000 <= rs["latency_ms"] <= (TIMEOUT + SLACK) * 1000, r.describe()
    assert_about_timeout(r, what="a responder that never answers")
    assert r.returncode == 1, r.describe()

    # --online: SSLStaplingForceURL pointing at the black hole (the certificate's own AIA
    # points at a port where nothing listens: a refused answer would mean ForceURL was
    # not used)
    dead = free_port()
    pki2 = LH.make_pki(Path(workdir) / "pki2", url_for(dead))
    root2, conf2, _ = LH.write_apache_config(
        Path(workdir) / "site-force",
        [LH.pki_vhost(pki2, "good", free_port(),
                      extra=[f"SSLStaplingForceURL {url_for(bport)}"])])
    before = hole.accepted
    o = LH.run_online(root2, conf2, timeout=TIMEOUT)
    entries = LH.online_entries(o, pki2 / "good-fullchain.pem")
    assert len(entries) == 1, o.describe()
    e = entries[0]
    assert e["url"] == url_for(bport), o.describe()
    assert e["error"] == "timeout" and e["verdict"] == "unreachable", o.describe()
    assert hole.accepted > before
    assert o.returncode == 1, o.describe()
    assert_about_timeout(o, what="--online with a responder that never answers")


# --------------------------------------------------------------------------- 3. DNS

def test_03_unresolvable_responder_and_host(stack, workdir, free_port):
    pki = LH.make_pki(Path(workdir) / "pki", "http://ocsp.nonexistent.invalid/")
    hport = free_port()
    root, conf, _ = apache(stack, workdir, "site",
                           [LH.pki_vhost(pki, "good", hport, stapling=False)])

    r = LH.run_probe([target(hport)], sni="good.test", timeout=TIMEOUT)
    rs = r.probe()["responder"]
    assert rs["url"] == "http://ocsp.nonexistent.invalid/", r.describe()
    assert rs["error"] == "dns", r.describe()
    assert rs["verdict"] == "unreachable", r.describe()
    assert "ocsp.nonexistent.invalid" in (rs["message"] or ""), r.describe()
    assert_prompt(r, what="an NXDOMAIN responder name")
    assert r.returncode == 1

    r = LH.run_probe(["nonexistent.invalid:443"], timeout=TIMEOUT)
    p = r.probe()
    assert p["error"] == "dns" and p["ok"] is False, r.describe()
    assert p["ip"] is None and "responder" not in p, r.describe()
    assert "nonexistent.invalid" in (p["message"] or ""), r.describe()
    assert r.returncode == 1, r.describe()
    assert_prompt(r, what="an NXDOMAIN host")

    o = LH.run_online(root, conf, timeout=TIMEOUT)
    e = LH.online_entries(o, pki / "good-fullchain.pem")
    assert len(e) == 1 and e[0]["error"] == "dns" and e[0]["verdict"] == "unreachable", \
        o.describe()
    assert_prompt(o, what="--online with an NXDOMAIN responder name")


def test_03_resolver_not_answering(stack, workdir, free_port):
    """A resolver that never answers (for ocsp-lint only: a private mount namespace whose
    /etc/resolv.conf names a bound-but-silent UDP socket on 127.0.0.1:53) -> dns-timeout,
    within --timeout; abandoned lookups must neither delay nor crash the exit."""
    ok, why = LH.namespaces_usable()
    if not ok:
        pytest.skip(why)
    try:
        dead = LH.DeadResolver().start(workdir)
    except OSError as e:
        pytest.skip(f"cannot bind UDP 127.0.0.1:53 for the silent resolver: {e}")
    stack.callback(dead.stop)
    ns = LH.resolver_namespace_prefix(dead.resolv_conf)

    pki = LH.make_pki(Path(workdir) / "pki", "http://ocsp.slow-dns.test/")
    hport = free_port()
    root, conf, _ = apache(stack, workdir, "site",
                           [LH.pki_vhost(pki, "good", hport, stapling=False)])

    r = LH.run_probe([target(hport)], sni="good.test", timeout=TIMEOUT, prefix=ns)
    rs = r.probe()["responder"]
    assert rs["error"] == "dns-timeout" and rs["verdict"] == "unreachable", r.describe()
    assert "ocsp.slow-dns.test" in (rs["message"] or ""), r.describe()
    assert (TIMEOUT - 0.3) * 1000 <= rs["dns_ms"] <= (TIMEOUT + SLACK) * 1000, r.describe()
    assert_about_timeout(r, what="a resolver that never answers (responder name)")

    hosts = [f"host{i}.slow-dns.test:443" for i in range(4)]
    r = LH.run_probe(hosts, timeout=TIMEOUT, concurrency=4, prefix=ns)
    assert r.returncode == 1, r.describe()           # not a crash at exit
    assert [p["error"] for p in r.probes] == ["dns-timeout"] * 4, r.describe()
    assert_about_timeout(r, what="4 hosts at once with a resolver that never answers")

    o = LH.run_online(root, conf, timeout=TIMEOUT, prefix=ns)
    e = LH.online_entries(o, pki / "good-fullchain.pem")
    assert len(e) == 1 and e[0]["error"] == "dns-timeout", o.describe()
    assert_about_timeout(o, what="--online with a resolver that never answers")


# --------------------------------------------------------------------------- 4. HTTP

JUNK = b"this is not DER\n" * 4
INT_DER = "the intermediate certificate, DER"     # a body made from the PKI

HTTP_CASES = {
    # id: (status, content type, body, verdict, error class, what the message must say)
    "500": (500, "text/html", b"<html>boom</html>\n", "http-error", "http", r"\b500\b"),
    "200-html": (200, "text/html", b"<html><body>portal</body></html>\n", "http-error",
                 "http", r"(?i)content.?type|text/html"),
    # the right content type but a body that is no DER OCSPResponse: a malformed answer
    "200-ocsp-junk": (200, "application/ocsp-response", JUNK, "malformed", "malformed",
                      r"(?i)asn1|decod|malformed|not .*OCSP"),
    # DER, but a certificate and not an OCSPResponse: malformed as well
    "200-ocsp-der-not-ocsp": (200, "application/ocsp-response", INT_DER, "malformed",
                              "malformed", r"(?i)asn1|decod|malformed|not .*OCSP"),
}


@pytest.mark.parametrize("case", list(HTTP_CASES))
def test_04_http_errors(case, stack, workdir, free_port):
    status, ctype, body, verdict, error, says = HTTP_CASES[case]
    fport = free_port()
    pki = LH.make_pki(Path(workdir) / "pki", url_for(fport))
    if body is INT_DER:
        body = subprocess.run(["openssl", "x509", "-in", str(pki / "int.pem"), "-outform",
                               "DER"], capture_output=True, check=True, timeout=60).stdout
    fake = started(stack, LH.FakeHttp(fport, status, ctype, body))
    hport = free_port()
    apache(stack, workdir, "site", [LH.pki_vhost(pki, "good", hport, stapling=False)])

    r = LH.run_probe([target(hport)], sni="good.test", timeout=TIMEOUT)
    rs = r.probe()["responder"]
    assert fake.requests, "the probe never asked the fake responder"
    method, _, req_type, req_len = fake.requests[-1]
    assert method == "POST" and req_type == "application/ocsp-request" and req_len > 0, \
        fake.requests
    assert rs["verdict"] == verdict, r.describe()
    assert rs["error"] == error, r.describe()
    assert re.search(says, rs["message"] or ""), (
        f"the message should say {says!r}:\n{r.describe()}")
    assert_prompt(r, what=f"an HTTP {status} {ctype} answer")
    assert r.returncode == 1


# --------------------------------------------------------------------------- 5./6. signers

def probe_site_signed_by(stack, workdir, free_port, signer):
    """good.test on apache2, its responder signing with signer: the probe's Run."""
    pki, _ = good_pki_with_responder(stack, workdir, free_port, signer=signer)
    hport = free_port()
    apache(stack, workdir, "site", [LH.pki_vhost(pki, "good", hport)])
    return LH.run_probe([target(hport)], sni="good.test", timeout=TIMEOUT)


def test_05_response_signed_by_unauthorized_key(stack, workdir, free_port):
    # other-int is a CA of the same root, but not the issuer of good.test: not authorized
    r = probe_site_signed_by(stack, workdir, free_port, "other-int")
    p = r.probe()
    rs = p["responder"]
    assert rs["verdict"] == "unverified", r.describe()
    assert rs["error"] is None and rs["response"]["verified"] is False, r.describe()
    assert "OA Other Intermediate" in (rs["message"] or ""), r.describe()
    assert "authoriz" in rs["message"], r.describe()
    st = p["staple"]                      # mod_ssl staples it anyway
    assert st["present"] is True, r.describe()
    assert st["verified"] is False and st["verify_error"], r.describe()
    assert "OA Other Intermediate" in st["verify_error"], r.describe()
    assert p["ok"] is False and "verify" in (p["problem"] or ""), r.describe()
    assert r.returncode == 1
    assert_prompt(r, 3.0, "probing")


def test_06_expired_delegated_signer(stack, workdir, free_port):
    r = probe_site_signed_by(stack, workdir, free_port, "ocsp-signer-expired")
    p = r.probe()
    rs = p["responder"]
    assert rs["verdict"] == "unverified", r.describe()
    msg = rs["message"] or ""
    assert "OA Expired OCSP Signer" in msg and "expired" in msg, r.describe()
    assert rs["response"]["signer"] == "CN=OA Expired OCSP Signer", r.describe()
    assert rs["response"]["delegated_signer"] is True, r.describe()
    st = p["staple"]
    assert st["present"] and st["verified"] is False, r.describe()
    assert "OA Expired OCSP Signer" in (st["verify_error"] or ""), r.describe()
    assert r.returncode == 1


# --------------------------------------------------------------------------- 7. time

def test_07_stale_response_clock_ahead(stack, workdir, free_port):
    # -nmin 1: nextUpdate = thisUpdate + 60 s; judged 600 s later it is past (+300 s skew)
    pki, _ = good_pki_with_responder(stack, workdir, free_port, nmin=1)
    hport = free_port()
    apache(stack, workdir, "site", [LH.pki_vhost(pki, "good", hport)])

    base = LH.run_probe([target(hport)], sni="good.test", timeout=TIMEOUT)
    assert base.returncode == 0, base.describe()
    assert base.probe()["staple"]["seconds_left"] <= 60, base.describe()

    r = LH.run_probe([target(hport)], sni="good.test", timeout=TIMEOUT, clock_offset=600)
    p = r.probe()
    rs = p["responder"]
    assert rs["verdict"] == "stale", r.describe()
    assert rs["response"]["verified"] is True and rs["response"]["time_ok"] is False, \
        r.describe()
    assert "nextUpdate" in (rs["message"] or ""), r.describe()
    st = p["staple"]
    assert st["present"] and st["verified"] is True, r.describe()
    assert st["time_ok"] is False and "nextUpdate" in (st["time_error"] or ""), r.describe()
    assert st["seconds_left"] < 0, r.describe()
    assert r.returncode == 1


def test_07_future_response_clock_behind(stack, workdir, free_port):
    pki, _ = good_pki_with_responder(stack, workdir, free_port, nmin=1)
    made = time.time()
    hport = free_port()
    apache(stack, workdir, "site", [LH.pki_vhost(pki, "good", hport)])

    # (a) a small skew with --skew 1: thisUpdate is "ahead" of the judged clock while the
    # (seconds old) PKI and its signer are already valid at that clock
    time.sleep(max(0.0, made + 5.5 - time.time()))
    r = LH.run_probe([target(hport)], sni="good.test", timeout=TIMEOUT, skew=1,
                     clock_offset=-4)
    rs = r.probe()["responder"]
    assert rs["verdict"] == "future", r.describe()
    assert rs["response"]["verified"] is True, r.describe()

    # (b) the clock an hour behind: the response is from the future. (With this fresh
    # PKI the signer is not yet valid either at that clock -- a consequence of the same
    # clock error: the verdict must still say so, not "unverified".)
    r = LH.run_probe([target(hport)], sni="good.test", timeout=TIMEOUT, clock_offset=-3600)
    p = r.probe()
    rs = p["responder"]
    st = p["staple"]
    assert st["present"] and st["time_ok"] is False, r.describe()
    assert "not yet valid" in (st["time_error"] or ""), r.describe()
    assert rs["response"]["time_ok"] is False, r.describe()
    assert rs["verdict"] == "future", r.describe()
    assert re.search(r"clock|not yet valid", rs["message"] or ""), r.describe()
    assert r.returncode == 1


# --------------------------------------------------------------------------- 8. revoked

def test_08_revoked_certificate(stack, workdir, free_port):
    pki, _ = good_pki_with_responder(stack, workdir, free_port)
    hport = free_port()
    apache(stack, workdir, "site", [LH.pki_vhost(pki, "revoked", hport)])
    when, reason = index_revocation(pki, "revoked.test")
    assert reason == "keyCompromise"

    r = LH.run_probe([target(hport)], sni="revoked.test", timeout=TIMEOUT)
    p = r.probe()
    st = p["staple"]
    assert st["present"] and st["state"] == "revoked", r.describe()
    assert st["cert_status"] == "revoked" and st["verified"] is True, r.describe()
    assert st["revoked_at"] == when, r.describe()
    assert st["revocation_reason"] == "keyCompromise", r.describe()
    rs = p["responder"]
    assert rs["verdict"] == "revoked", r.describe()
    assert rs["response"]["revoked_at"] == when, r.describe()
    assert rs["response"]["revocation_reason"] == "keyCompromise", r.describe()
    assert p["ok"] is False and "revoked" in (p["problem"] or ""), r.describe()
    assert r.returncode == 1


# --------------------------------------------------------------------------- 9. chain, Must-Staple

NO_CHAIN_CASES = {
    # the common mistake: no chain file, no CA store. mod_ssl cannot find the issuer
    # either (AH02604) and staples nothing
    "no-issuer-anywhere": [],
    # mod_ssl finds the issuer in SSLCACertificateFile and staples; the chain store is
    # set to the root alone so that OpenSSL does not complete the served chain from the
    # CA store: the client gets the leaf only
    "issuer-only-for-stapling": ["SSLCACertificateFile \"{pki}/int.pem\"",
                                 "SSLOpenSSLConfCmd ChainCAFile \"{pki}/root.pem\""],
}


@pytest.mark.parametrize("case", list(NO_CHAIN_CASES))
def test_09_leaf_only_vhost(case, stack, workdir, free_port):
    pki, _ = good_pki_with_responder(stack, workdir, free_port)
    hport = free_port()
    extra = [x.format(pki=pki) for x in NO_CHAIN_CASES[case]]
    apache(stack, workdir, "site",
           [LH.pki_vhost(pki, "good", hport, fullchain=False, extra=extra)])

    r = LH.run_probe([target(hport)], sni="good.test", timeout=TIMEOUT)
    p = r.probe()
    assert p["error"] is None, r.describe()
    assert p["certificates_served"] == 1, r.describe()
    assert p["chain_complete"] is False, r.describe()
    if case == "issuer-only-for-stapling":
        assert p["staple"]["present"] is True, r.describe()
    assert p["ok"] is False and r.returncode == 1, r.describe()
    assert "chain" in (p["problem"] or ""), (
        f"the problem should name the missing chain:\n{r.describe()}")


def test_09_must_staple_without_stapling(stack, workdir, free_port):
    pki, _ = good_pki_with_responder(stack, workdir, free_port)
    hport = free_port()
    apache(stack, workdir, "site", [LH.pki_vhost(pki, "muststaple", hport, stapling=False)])

    r = LH.run_probe([target(hport)], sni="muststaple.test", timeout=TIMEOUT)
    p = r.probe()
    assert p["must_staple"] is True, r.describe()
    assert p["staple"]["present"] is False and p["staple"]["state"] == "none", r.describe()
    assert p["chain_complete"] is True, r.describe()
    assert "Must-Staple" in (p["problem"] or ""), r.describe()
    assert r.returncode == 1


# --------------------------------------------------------------------------- 10. cluster drift

def test_10_cluster_drift(stack, workdir, free_port):
    pki, _ = good_pki_with_responder(stack, workdir, free_port)
    p1, p2 = free_port(), free_port()
    apache(stack, workdir, "node1", [LH.pki_vhost(pki, "good", p1, stapling=True)])
    apache(stack, workdir, "node2", [LH.pki_vhost(pki, "good", p2, stapling=False)])

    r = LH.run_probe([target(p1), target(p2)], sni="good.test", timeout=TIMEOUT)
    assert r.returncode == 1, r.describe()
    by_target = {p["target"]: p for p in r.probes}
    assert set(by_target) == {target(p1), target(p2)}, r.describe()
    n1, n2 = by_target[target(p1)], by_target[target(p2)]
    assert n1["sni"] == n2["sni"] == "good.test"
    assert n1["ok"] is True and n1["staple"]["present"] and n1["staple"]["state"] == "good", \
        r.describe()
    assert n2["ok"] is False and n2["staple"]["present"] is False, r.describe()
    assert n2["staple"]["state"] == "none" and "no staple" in (n2["problem"] or ""), r.describe()
    assert [p["target"] for p in r.probes if not p["ok"]] == [target(p2)], r.describe()
    # same certificate on both nodes
    assert n1["subject"] == n2["subject"] and n1["not_after"] == n2["not_after"]


# --------------------------------------------------------------------------- 11. concurrency

def test_11_concurrency_bounds_total_time(stack, workdir, free_port):
    pki, _ = good_pki_with_responder(stack, workdir, free_port)
    good_ports = [free_port() for _ in range(10)]
    holes = [started(stack, LH.BlackHole(free_port())) for _ in range(10)]
    apache(stack, workdir, "site", [LH.pki_vhost(pki, "good", gp) for gp in good_ports])

    targets = []
    for gp, h in zip(good_ports, holes):
        targets += [target(gp), target(h.port)]
    r = LH.run_probe(targets, sni="good.test", timeout=TIMEOUT, concurrency=10,
                     limit=10 * TIMEOUT + 30)
    bound = 2 * TIMEOUT + SLACK
    assert r.elapsed < bound, (f"20 targets (10 hanging) with --concurrency 10 took "
                               f"{r.elapsed:.2f} s, expected < {bound} s\n{r.describe()}")
    assert len(r.probes) == 20, r.describe()
    hole_targets = {target(h.port) for h in holes}
    for p in r.probes:
        if p["target"] in hole_targets:
            assert p["error"] == "timeout" and p["ok"] is False, p
            assert (TIMEOUT - 0.3) * 1000 <= p["handshake_ms"] <= (TIMEOUT + SLACK) * 1000, p
        else:
            assert p["ok"] is True, p
            assert p["staple"]["state"] == "good" and p["responder"]["verdict"] == "ok", p
    assert all(h.accepted >= 1 for h in holes)
    assert r.returncode == 1


# --------------------------------------------------------------------------- 12. peers

PEER_CASES = [
    # (label, vhost name, which port, stapled, cert status)
    ("staples-good", "good.test", "on", True, "good"),
    ("no-stapling", "good.test", "off", False, None),
    ("staples-revoked", "revoked.test", "on", True, "revoked"),
]


@pytest.fixture
def peer_site(stack, workdir, free_port):
    """apache2 with good.test and revoked.test stapling on one port, good.test with
    stapling off on another. Returns (pki, {"on": port, "off": port})."""
    pki, _ = good_pki_with_responder(stack, workdir, free_port)
    on, off = free_port(), free_port()
    apache(stack, workdir, "site", [LH.pki_vhost(pki, "good", on),
                                    LH.pki_vhost(pki, "revoked", on),
                                    LH.pki_vhost(pki, "good", off, stapling=False)])
    return pki, {"on": on, "off": off}


def probe_view(port, name):
    r = LH.run_probe([target(port)], sni=name, timeout=TIMEOUT, no_responder=True)
    st = r.probe()["staple"]
    return {"stapled": st["present"], "cert_status": st.get("cert_status")}, r


def test_12_peer_s_client(peer_site):
    pki, ports = peer_site
    for label, name, which, stapled, status in PEER_CASES:
        mine, r = probe_view(ports[which], name)
        peer = LH.s_client_status(ports[which], name)
        theirs = {"stapled": peer["stapled"], "cert_status": peer["cert_status"]}
        assert mine == theirs == {"stapled": stapled, "cert_status": status}, (
            f"{label}: probe {mine} vs openssl s_client {theirs}\n{r.describe()}\n"
            f"--- s_client:\n{peer['text'][:3000]}")
        if stapled:
            assert peer["response_status"] == "successful"


@pytest.fixture(scope="module")
def testssl_bin():
    path, why = LH.ensure_testssl()
    if not path:
        print(f"\ntest_live_checks: testssl.sh unavailable, skipping its cross-check: {why}",
              file=sys.stderr)
        pytest.skip(f"testssl.sh cannot be installed: {why}")
    return path


def test_12_peer_testssl(peer_site, testssl_bin, workdir):
    pki, ports = peer_site
    for label, name, which, stapled, status in PEER_CASES:
        mine, r = probe_view(ports[which], name)
        peer = LH.s_client_status(ports[which], name)
        ts = LH.testssl_stapling(testssl_bin, ports[which], name, pki / "root.pem",
                                 Path(workdir) / "testssl")
        ts_stapled = {"offered": True, "not offered": False}.get(
            ts["OCSP_stapling"]["finding"].strip())
        ts_status = None
        if ts["cert_ocspRevoked"] is not None:
            ts_status = {"not revoked": "good", "revoked": "revoked"}.get(
                ts["cert_ocspRevoked"]["finding"].strip(), ts["cert_ocspRevoked"]["finding"])
        theirs = {"stapled": ts_stapled, "cert_status": ts_status}
        s_cl = {"stapled": peer["stapled"], "cert_status": peer["cert_status"]}
        assert mine == s_cl == theirs == {"stapled": stapled, "cert_status": status}, (
            f"{label}: probe {mine} vs s_client {s_cl} vs testssl {theirs} "
            f"(testssl findings {ts['OCSP_stapling']}, {ts['cert_ocspRevoked']})\n"
            f"{r.describe()}\n--- testssl:\n{ts['text'][-3000:]}")
