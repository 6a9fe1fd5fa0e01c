"""CRL checks against faults made for real: `ocsp-lint --online` fetches each certificate's
CRL distribution point from a real apache2 on loopback serving static files, and must
classify each case correctly AND promptly (the elapsed wall-clock time is asserted).

One test PKI per module (tools/make-test-pki.sh with a CRL_URL pointing at a free port
P), its CRLs made by `openssl ca -gencrl` (tools/make-test-crls.sh): fresh (DER and PEM),
past nextUpdate, not yet valid, signed by another key, garbage, larger than the 10 MiB limit,
and no file at all (404). On P, per test: apache2 serving the chosen CRL as /int.crl,
nothing (refused), or a listener that never answers (black hole) or trickles.

The certificates linted: good (not listed), revoked (listed, keyCompromise), noocsp (a CRL
distribution point and no OCSP URL). Their OCSP URL is 127.0.0.1:9, where nothing listens:
the responder checks fail at once and are not what these tests look at.

Run:  /usr/bin/python3 -m pytest tests/integration/test_crl.py   (project root)
"""

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import httpd as H
import ocsp_fixtures as F

pytestmark = pytest.mark.needs_lint

TIMEOUT = 2           # --timeout (seconds, per phase)
SLACK = 1.5           # what a timeout may overrun by
PROMPT = 2.0          # answers and refusals: well under this
CERTS = ("good", "revoked", "noocsp")

STATIC_CONF = """\
LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authz_core_module {mods}/mod_authz_core.so
ServerName crl.test
Listen 127.0.0.1:{port}
DocumentRoot "{www}"
<Directory "{www}">
    Require all granted
</Directory>
LogFormat "%r %>s" plain
CustomLog "{log}" plain
"""

LINT_CONF = """\
LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule socache_shmcb_module {mods}/mod_socache_shmcb.so
LoadModule ssl_module {mods}/mod_ssl.so
ServerName main.test
Listen 127.0.0.1:4443 https
"""

VHOST = """
<VirtualHost *:4443>
    ServerName {name}.test
    SSLEngine on
    SSLCertificateFile {pki}/{name}-fullchain.pem
    SSLCertificateKeyFile {pki}/{name}.key
</VirtualHost>
"""


@pytest.fixture(scope="module")
def crl_setup(lint_bin, httpd_bin):
    base = Path(__import__("tempfile").mkdtemp(prefix="oa-crl-"))
    base.chmod(0o755)
    port = H.free_port()
    url = f"http://127.0.0.1:{port}/int.crl"
    pki = base / "pki"
    r = subprocess.run(["sh", str(F.PKI_SCRIPT), str(pki), "http://127.0.0.1:9/ocsp", url],
                       capture_output=True, text=True, env=H.minimal_env(), timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    crls = base / "crls"
    r = subprocess.run(["sh", str(F.PROJECT_DIR / "tools" / "make-test-crls.sh"), str(pki),
                        str(crls)], capture_output=True, text=True, env=H.minimal_env(),
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    www = base / "www"
    www.mkdir()
    F.open_tree(base, files=True)
    mods = H.module_dir()
    conf = base / "lint.conf"
    conf.write_text(LINT_CONF.format(mods=mods)
                    + "".join(VHOST.format(name=n, pki=pki) for n in CERTS))
    yield {"base": base, "port": port, "url": url, "pki": pki, "crls": crls, "www": www,
           "conf": conf, "mods": mods}
    if not os.environ.get("OA_KEEP_TMP"):
        shutil.rmtree(base, ignore_errors=True)


def serve(setup, crl_file, workdir):
    """apache2 on the CRL port serving crl_file (a name in crls/, or None: no file) as
    /int.crl; returns the HttpdInstance (a context manager) and its access log."""
    www = setup["www"]
    target = www / "int.crl"
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    if crl_file:
        shutil.copyfile(setup["crls"] / crl_file, target)
        target.chmod(0o644)
    log = workdir / "access.log"
    conf = workdir / "static.conf"
    conf.write_text(STATIC_CONF.format(mods=setup["mods"], port=setup["port"], www=www, log=log))
    return H.HttpdInstance(workdir, conf, workdir / "httpd", ports=[setup["port"]]), log


def lint_online(setup):
    t0 = time.monotonic()
    r = H.run_lint(["--online", "--timeout", str(TIMEOUT), "--format", "json", setup["conf"]])
    elapsed = time.monotonic() - t0
    assert r.returncode in (0, 1), r.stderr
    by_name = {}
    for on in r.data["online"]:
        name = Path(on["certificate"]).name.replace("-fullchain.pem", "")
        by_name[name] = on["crl"]
    assert set(by_name) == set(CERTS), r.data["online"]
    return by_name, elapsed, r


def assert_all(crls, verdict, url):
    for name, c in crls.items():
        assert c["url"] == url
        assert c["verdict"] == verdict, (name, c)
        assert c["message"]


def fetched_once(crls, log):
    """Three certificates, one distribution point: one fetch, the others from the cache."""
    assert sorted(c["cached"] for c in crls.values()) == [False, True, True]
    if log is not None:
        lines = [ln for ln in log.read_text().splitlines() if "/int.crl" in ln]
        assert len(lines) == 1, lines


@pytest.mark.parametrize("crl_file,fmt", [("fresh.der", "der"), ("fresh.pem", "pem")])
def test_fresh_crl_lists_only_the_revoked_certificate(crl_setup, workdir, crl_file, fmt):
    h, log = serve(crl_setup, crl_file, workdir)
    with h:
        crls, elapsed, r = lint_online(crl_setup)
    assert elapsed < PROMPT + 1, elapsed
    assert crls["good"]["verdict"] == "ok" and crls["noocsp"]["verdict"] == "ok"
    rev = crls["revoked"]
    assert rev["verdict"] == "revoked"
    assert rev["reason"] == "keyCompromise" and rev["revoked_at"]
    for c in crls.values():
        assert c["format"] == fmt and c["entries"] == 1
        assert c["this_update"] and c["next_update"] > c["this_update"]
        assert c["ip"] == "127.0.0.1"
    fetched_once(crls, log)
    assert r.returncode == 1   # the revoked certificate (and the dead responder) fail the run


def test_text_output_names_the_crl_and_its_verdict(crl_setup, workdir):
    h, _ = serve(crl_setup, "fresh.der", workdir)
    with h:
        r = subprocess.run([H.lint_binary(), "--online", "--timeout", str(TIMEOUT),
                            str(crl_setup["conf"])], capture_output=True, text=True,
                           env=H.minimal_env(), timeout=60)
    url = crl_setup["url"]
    assert f"good-fullchain.pem: ok: CRL {url}: ok: " in r.stdout, r.stdout
    assert f"revoked-fullchain.pem: error: CRL {url}: revoked: " in r.stdout, r.stdout
    assert "keyCompromise" in r.stdout


@pytest.mark.parametrize("crl_file,verdict", [
    ("stale.der", "stale"),
    ("future.der", "future"),
    ("badsig.der", "bad-signature"),
    ("garbage.crl", "malformed"),
    ("toolarge.crl", "too-large"),
    (None, "http"),
])
def test_bad_crls_are_classified(crl_setup, workdir, crl_file, verdict):
    h, log = serve(crl_setup, crl_file, workdir)
    with h:
        crls, elapsed, r = lint_online(crl_setup)
    assert elapsed < PROMPT + 1, elapsed
    expect = dict.fromkeys(CERTS, verdict)
    if verdict in ("stale", "future"):
        expect["revoked"] = "revoked"      # listed: revoked, whatever the dates say
    assert {n: c["verdict"] for n, c in crls.items()} == expect, crls
    fetched_once(crls, log)
    assert r.returncode == 1
    if verdict == "too-large":
        assert crls["good"]["size"] == 0   # refused on its Content-Length, not read


def test_unreachable_distribution_point_is_refused_promptly(crl_setup):
    F.assert_port_free(crl_setup["port"])
    crls, elapsed, r = lint_online(crl_setup)
    assert elapsed < PROMPT, elapsed
    assert_all(crls, "refused", crl_setup["url"])
    fetched_once(crls, None)
    assert r.returncode == 1


@pytest.mark.parametrize("trickle", [b"", b"HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\n0123"])
def test_black_holed_distribution_point_times_out_once(crl_setup, trickle):
    """A listener that never answers (or answers a byte every 0.3 s, too slowly ever to
    finish: a deadline per read would never fire): one fetch gives up after --timeout, and
    the other certificates of the same distribution point take its answer instead of
    waiting again."""
    with F.BlackHole(crl_setup["port"], trickle=trickle, interval=0.3) as bh:
        crls, elapsed, r = lint_online(crl_setup)
        accepted = bh.accepted
    assert_all(crls, "timeout", crl_setup["url"])
    fetched_once(crls, None)
    assert accepted == 1
    assert elapsed < TIMEOUT + SLACK, elapsed
    assert r.returncode == 1
