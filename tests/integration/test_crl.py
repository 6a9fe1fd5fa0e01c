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
import status_helpers as S

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
    F.run_pki_script(pki, "http://127.0.0.1:9/ocsp", crl_url=url)
    crls = F.make_crls(pki, base / "crls")
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


# the CRL served, and the verdict it must get (for a certificate it does not list)
BAD_CRLS = [("stale.der", "stale"), ("future.der", "future"), ("badsig.der", "bad-signature"),
            ("garbage.crl", "malformed"), ("toolarge.crl", "too-large"), (None, "http")]


@pytest.mark.parametrize("crl_file,verdict", BAD_CRLS)
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


# --------------------------------------------------------------------------- probe and page

# the revocation path each CRL verdict gives (core/oa_verdict.c, docs/json-output.md)
PATH_OF = {"ok": "crl-fresh", "revoked": "revoked", "stale": "crl-stale",
           "future": "crl-stale", "bad-signature": "crl-invalid", "malformed": "crl-invalid",
           "too-large": "crl-unreachable", "http": "crl-unreachable",
           "refused": "crl-unreachable", "timeout": "crl-unreachable"}
# ... and the level of a vhost with stapling off: the CRL alone decides
LEVEL_OF = {"ok": "good", "revoked": "error"}


def module_site(setup, workdir):
    """apache2 with mod_ocsp_audit serving good/revoked/noocsp.test with stapling off (so
    that only the CRL is looked at), OcspAuditProbeTimeout as the linter's --timeout."""
    S.require_module()
    vhosts = [S.Vhost(f"{n}.test", setup["pki"] / f"{n}-fullchain.pem", setup["pki"] / f"{n}.key",
                      stapling=False) for n in CERTS]
    site = S.Site(workdir / "site", vhosts, H.free_port(), H.free_port(),
                  probe_timeout=TIMEOUT).write()
    site.check()
    return site


def probe(port, name):
    t0 = time.monotonic()
    r = H.run_lint(["probe", "--format", "json", "--timeout", str(TIMEOUT), "--sni",
                    f"{name}.test", f"127.0.0.1:{port}"], timeout=60)
    assert r.data, f"probe {name}: exit {r.returncode}: {r.stderr}"
    (p,) = r.data["probes"]
    return p, time.monotonic() - t0, r.returncode


def all_three(setup, workdir):
    """The CRL as the linter (--online), the probe and the status page see it, each
    vhost's: {name: (crl, level, revocation)} per output, and the elapsed times."""
    site = module_site(setup, workdir)
    out, times = {}, {}
    crls, times["lint"], lint = lint_online(setup)
    lint_vh = {v["name"].split(".")[0]: v for v in lint.data["vhosts"]}
    out["lint"] = {n: (crls[n], lint_vh[n]["level"], lint_vh[n]["revocation"]) for n in CERTS}
    with site.instance(workdir / "run"):
        t0 = time.monotonic()
        doc = S.wait_first_round(site.http_port, timeout=60)
        times["page"] = time.monotonic() - t0
        page = {v["name"].split(".")[0]: v for v in doc["vhosts"]}
        out["page"] = {n: (page[n]["live"]["crl"], page[n]["level"], page[n]["revocation"])
                       for n in CERTS}
        probes = {n: probe(site.https_port, n) for n in CERTS}
        out["probe"] = {n: (p.get("crl"), p["level"], p["revocation"])
                        for n, (p, _, _) in probes.items()}
        times["probe"] = max(t for _, t, _ in probes.values())
        dom = S.parse_dom(S.get(site.http_port, S.STATUS_PATH).text)
        rows = {tr.attrs["data-vhost"].split(".")[0]: list(tr.iter("td"))
                for tr in dom.iter("tr") if "data-vhost" in tr.attrs}
        extra = {"html": {n: (cells[5].attrs.get("class"), cells[5].text())
                          for n, cells in rows.items() if n in CERTS},
                 "auto": S.get_auto(site.http_port),
                 "prom": S.get_prometheus(site.http_port).text,
                 "exits": {n: rc for n, (_, _, rc) in probes.items()}, "page": page,
                 "probes": {n: p for n, (p, _, _) in probes.items()}}
    return out, times, extra


def expected(verdict):
    """CERTS -> the CRL verdict each must get when the distribution point gives `verdict`
    to a certificate it does not list."""
    want = dict.fromkeys(CERTS, verdict)
    if verdict in ("ok", "stale", "future"):
        want["revoked"] = "revoked"     # listed: revoked, whatever the dates say
    return want


def assert_same_everywhere(out, verdict, url):
    problems = []
    for name, want in expected(verdict).items():
        for where, got in out.items():
            crl, level, path = got[name]
            if crl is None or crl["verdict"] != want or crl["url"] != url:
                problems.append(f"{name}: {where}: crl {crl and crl['verdict']}, expected {want}")
            if path != PATH_OF[want]:
                problems.append(f"{name}: {where}: revocation {path}, expected {PATH_OF[want]}")
            # the level is the CRL's alone for noocsp (no OCSP URL) and for a listed
            # certificate; the others' OCSP URL leads nowhere, and the probe, which has no
            # configuration, says so. Nor can it tell stapling off from a missing staple:
            # a warning, whatever the CRL says.
            lvl = "warning" if where == "probe" and want == "ok" else LEVEL_OF.get(want,
                                                                                 "warning")
            if (name == "noocsp" or want == "revoked") and level != lvl:
                problems.append(f"{name}: {where}: level {level}, expected {lvl}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("crl_file,verdict", [("fresh.der", "ok"), ("fresh.pem", "ok")]
                         + BAD_CRLS)
def test_linter_probe_and_page_classify_the_crl_alike(crl_setup, workdir, crl_file, verdict):
    h, log = serve(crl_setup, crl_file, workdir)
    with h:
        out, times, extra = all_three(crl_setup, workdir)
        fetches = [ln for ln in log.read_text().splitlines() if "/int.crl" in ln]
    assert_same_everywhere(out, verdict, crl_setup["url"])
    assert times["probe"] < PROMPT + 1 and times["lint"] < PROMPT + 1, times
    # one fetch for the linter, one per probe (3), one for the module's three vhosts
    assert len(fetches) == 1 + 3 + 1, fetches
    page = extra["page"]
    # the HTML page's revocation cell: its words and colour follow the path
    words = {"crl-fresh": ("CRL fresh", "good"), "revoked": ("revoked", "bad"),
             "crl-stale": ("CRL stale", "warn"), "crl-invalid": ("CRL invalid", "warn"),
             "crl-unreachable": ("CRL unreachable", "warn")}
    for name, want in expected(verdict).items():
        cls, text = extra["html"][name]
        w, c = words[PATH_OF[want]]
        assert text.startswith(w) and cls == c, (name, cls, text)
        assert f"CRL {want}: " in text and crl_setup["url"] in text, text
    if verdict == "ok":
        # a certificate that cannot be stapled with a healthy CRL is not an error
        assert page["noocsp"]["level"] == "good" and page["noocsp"]["state"] == "off"
        assert extra["exits"]["revoked"] == 1
        assert extra["probes"]["revoked"]["problem"].startswith("the CRL lists the certificate")
        assert "the CRL lists the certificate" in page["revoked"]["reason"]
        assert page["revoked"]["state"] == "revoked"
        auto = extra["auto"]
        assert "Revocation: crl-fresh\n" in auto and "Revocation: revoked\n" in auto, auto
        assert f"CrlUrl: {crl_setup['url']}\n" in auto
        prom = extra["prom"]
        assert 'ocsp_audit_vhost_revocation{vhost="revoked.test",address="*:' in prom
        assert 'path="revoked"} 1' in prom and 'path="crl-fresh"} 1' in prom
        assert f'url="{crl_setup["url"]}",verdict="ok"}} 1' in prom
        assert f'url="{crl_setup["url"]}",verdict="revoked"}} 0' in prom
    else:
        assert set(extra["exits"].values()) == {1}, extra["exits"]
        for name in ("good", "noocsp"):
            said = [v[name]["reason"].split("; its CRL ", 1) for v in (page, extra["probes"])]
            assert all(len(x) == 2 for x in said), said
            assert said[0][1] == said[1][1], said      # the CRL in the same words
            assert page[name]["fix"], page[name]


def test_unreachable_distribution_point_alike_everywhere(crl_setup, workdir):
    F.assert_port_free(crl_setup["port"])
    out, times, _ = all_three(crl_setup, workdir)
    assert_same_everywhere(out, "refused", crl_setup["url"])
    assert times["probe"] < PROMPT + 1 and times["lint"] < PROMPT, times


def test_black_holed_distribution_point_alike_everywhere(crl_setup, workdir):
    """Each output gives up after its timeout, once per distribution point: the page's
    three vhosts share one wait, and the fetch it reports took no longer than that."""
    with F.BlackHole(crl_setup["port"]) as bh:
        out, times, extra = all_three(crl_setup, workdir)
        accepted = bh.accepted
    assert_same_everywhere(out, "timeout", crl_setup["url"])
    assert accepted == 1 + 3 + 1, accepted
    assert times["probe"] < TIMEOUT + SLACK + 1, times
    totals = [extra["page"][n]["live"]["crl"]["total_ms"] for n in CERTS]
    assert max(totals) < (TIMEOUT + SLACK) * 1000, totals


def test_module_fetches_a_shared_crl_once_across_rounds(crl_setup, workdir):
    """Politeness: three vhosts of one CA, three probe rounds: one fetch of their CRL,
    and the page says it was checked then (not at every round)."""
    h, log = serve(crl_setup, "fresh.der", workdir)
    with h:
        site = module_site(crl_setup, workdir)
        with site.instance(workdir / "run") as inst:
            S.wait_rounds(inst, 3, timeout=60)
            doc = S.get_json(site.http_port)
        fetches = [ln for ln in log.read_text().splitlines() if "/int.crl" in ln]
    assert len(fetches) == 1, fetches
    checked = {v["live"]["crl"]["checked_at"] for v in doc["vhosts"]}
    assert len(checked) == 1, checked
    assert sorted(v["live"]["crl"]["cached"] for v in doc["vhosts"]) == [False, True, True]


def test_module_logs_each_change_of_a_crl_once(crl_setup, workdir):
    """OA00028 when the CRL cannot be used (one line for the three vhosts that share it),
    OA00029 when it can again, OA00028 at error level for the certificate it lists; with
    OcspAuditResponderInterval 10, a failed CRL is fetched again after 10 s."""
    F.assert_port_free(crl_setup["port"])
    site = module_site(crl_setup, workdir)
    site.responder_interval = 10
    site.write()
    with site.instance(workdir / "run") as inst:
        S.wait_first_round(site.http_port)
        S.wait_rounds(inst, 1, timeout=30)
        log = inst.error_log_text()
        bad = S.log_lines(log, "OA00028")
        assert len(bad) == 1, bad
        assert "[ocsp_audit:warn]" in bad[0] and "CRL refused: " + crl_setup["url"] in bad[0]
        assert "affects 3 vhosts" in bad[0], bad
        (workdir / "static").mkdir()
        h, _ = serve(crl_setup, "fresh.der", workdir / "static")
        with h:
            ok = S.wait_for(lambda: S.log_lines(inst.error_log_text(), "OA00029"), 40, 0.5)
            S.wait_rounds(inst, 1, timeout=30)
            log = inst.error_log_text()
    back = S.log_lines(log, "OA00029")
    assert ok and len(back) == 1, back
    assert f"CRL {crl_setup['url']} is usable again; affects 2 vhosts" in back[0], back
    revoked = [ln for ln in S.log_lines(log, "OA00028") if "CRL revoked" in ln]
    assert len(revoked) == 1 and "[ocsp_audit:error]" in revoked[0], revoked
    assert "revoked.test" in revoked[0] and "keyCompromise" in revoked[0]
    assert len(S.log_lines(log, "OA00028")) == 2     # nothing logged twice


def test_module_with_crl_checks_off_fetches_nothing(crl_setup, workdir):
    """OcspAuditCRL Off: no request to the distribution point, live.crl null, the
    revocation path as the certificate names it."""
    h, log = serve(crl_setup, "fresh.der", workdir)
    with h:
        site = module_site(crl_setup, workdir)
        site.extra.append("OcspAuditCRL Off")
        site.write()
        with site.instance(workdir / "run"):
            doc = S.wait_first_round(site.http_port)
        fetches = [ln for ln in log.read_text().splitlines() if "/int.crl" in ln]
    assert fetches == []
    page = {v["name"].split(".")[0]: v for v in doc["vhosts"]}
    assert {n: v["live"]["crl"] for n, v in page.items()} == dict.fromkeys(CERTS)
    # good and revoked name an OCSP responder (stapling is off: clients ask it), noocsp
    # only its CRL, which nobody checked
    assert {n: v["revocation"] for n, v in page.items()} == {"good": "ocsp", "revoked": "ocsp",
                                                             "noocsp": "crl"}
