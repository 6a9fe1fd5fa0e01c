"""One verdict, said the same way by the linter, the probe and the status page.

A real apache2 with the module and a real responder serves vhosts in different states.
For each vhost the test asks:
  - `ocsp-lint --format json` on the same configuration (vhosts[].level/state/reason),
  - `ocsp-lint probe --format json --sni NAME 127.0.0.1:PORT` (level/state/reason),
  - the status page's ?json (vhosts[].level/state/reason),
and compares them. The live ones (probe, page) must agree on everything; the linter
must agree with them wherever the configuration alone decides (no OCSP URL, stapling
off, a self-signed default vhost), and its state names and levels are the same words.

  test_linter_probe_and_page_agree    stapled, no-ocsp-url, off, revoked, self-signed,
                                      fatal, and the plain HTTP port
  test_sni_name_no_vhost_has          a name no vhost has: httpd answers with the default
                                      vhost; the probe says name-mismatch and names it
  test_trylater_and_responder_down    a responder answering tryLater, and a good staple
                                      whose responder stops: both at-risk, with the stop
                                      time; a graceful restart stops stapling at once

Run:  /usr/bin/python3 -m pytest tests/integration/test_one_verdict.py
"""

import json
import shutil
import time

import pytest

import httpd as H
import ocsp_fixtures as F
import status_helpers as S
from test_status_page import epoch


# every helper process a test starts is stopped by it (conftest.helpers_stopped)
pytestmark = pytest.mark.usefixtures("helpers_stopped")


# vhost -> (leaf, full chain, stapling, the state every output must give, the revocation
# path every output must give); every leaf names the CRL the site serves, fresh
CASES = {
    "good.test": ("good", True, True, "stapled", "staple"),
    "noocsp.test": ("noocsp", True, True, "no-ocsp-url", "crl-fresh"),
    "off.test": ("off", True, False, "off", "crl-fresh"),
    "revoked.test": ("revoked", True, True, "revoked", "revoked"),
}
REVOCATION = {"default.test": "unknown", "fatal.test": "crl-fresh"}
OFFLINE_DECIDES = ("noocsp.test", "off.test", "default.test")


def _probe(port, name):
    r = H.run_lint(["probe", "--format", "json", "--sni", name, f"127.0.0.1:{port}"],
                   timeout=120)
    assert r.data is not None, f"probe {name}: no JSON (exit {r.returncode}): {r.stderr}"
    targets = r.data["probes"]
    assert len(targets) == 1, targets
    return targets[0]


def test_linter_probe_and_page_agree(httpd_bin, lint_bin, workdir):
    S.require_module()
    rport, http_port = H.free_port(), H.free_port()
    # the CRL distribution point is the site's own plain-HTTP port
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/",
                     crl_url=f"http://127.0.0.1:{http_port}/int.crl")
    cert, key = H.make_test_cert(workdir / "snakeoil", cn="default.test",
                                 names=("default.test",))
    S.add_leaf(pki, "off")     # a certificate that covers its vhost's name
    vhosts = [S.Vhost(name, pki.cert(leaf, chain), pki.key(leaf), stapling=stapling)
              for name, (leaf, chain, stapling, _, _) in CASES.items()]
    # a self-signed default vhost, as Debian's default-ssl with the snakeoil certificate
    vhosts.append(S.Vhost("default.test", cert, key, stapling=False))
    # an https responder URL: mod_ssl fails every handshake that asks for a staple (a
    # certificate of its own: mod_ssl shares one OCSP entry per certificate, and would
    # staple what good.test fetched)
    S.add_leaf(pki, "fatal")
    vhosts.append(S.Vhost("fatal.test", pki.cert("fatal"), pki.key("fatal"),
                          extra=["SSLStaplingForceURL https://127.0.0.1:1/"]))
    site = S.Site(workdir / "site", vhosts, http_port, H.free_port()).write()
    site.check()
    S.readable_tree(workdir / "snakeoil")
    crls = F.make_crls(pki.dir, workdir / "crls")
    shutil.copyfile(crls / "fresh.der", site.root / "htdocs" / "int.crl")
    S.readable_tree(site.root / "htdocs")
    with S.Responder(pki, rport), site.instance(workdir / "run"):
        # --online: the linter checks the CRL too, and its verdicts say what it found
        lint = H.run_lint([str(site.conf), "--format", "json", "--online"], timeout=120)
        assert lint.data, f"ocsp-lint: exit {lint.returncode}: {lint.stderr}"
        offline = {v["name"]: v for v in lint.data["vhosts"]}
        page = {v["name"]: v for v in S.wait_first_round(site.http_port)["vhosts"]}
        probe = {name: _probe(site.https_port, name) for name in page}
        plain = _probe(site.http_port, "good.test")
    problems = []
    for name, pv in sorted(page.items()):
        pr, lv = probe[name], offline.get(name)
        want = {"default.test": "self-signed", "fatal.test": "fatal"}.get(name) or CASES[name][3]
        if pv["state"] != want:
            problems.append(f"{name}: the page says {pv['state']}, expected {want}")
        path = REVOCATION.get(name) or CASES[name][4]
        for where, v in (("probe", pr), ("page", pv), ("ocsp-lint", lv or {})):
            if v.get("revocation") != path:
                problems.append(f"{name}: {where} says revocation {v.get('revocation')}, "
                                f"expected {path}")
        if name == "off.test":
            # a probe without the configuration cannot tell stapling off from a staple
            # mod_ssl could not fetch: it says so, as a warning
            if (pr["level"], pr["state"]) != ("warning", "no-staple"):
                problems.append(f"{name}: probe {pr['level']}/{pr['state']}")
        else:
            for key in ("level", "state", "reason"):
                if pr[key] != pv[key]:
                    problems.append(f"{name}: {key} probe {pr[key]!r}, page {pv[key]!r}")
        if name == "fatal.test":
            if "kills the handshake" not in pr["reason"] or (lv or {}).get("state") != "fatal":
                problems.append(f"{name}: probe {pr['reason']!r}, ocsp-lint {lv}")
        if name in OFFLINE_DECIDES:
            if lv is None:
                problems.append(f"{name}: not in ocsp-lint's vhosts")
            elif (lv["level"], lv["state"], lv["reason"]) != (pv["level"], pv["state"], pv["reason"]):
                problems.append(f"{name}: ocsp-lint {lv['level']}/{lv['state']} "
                                f"({lv['reason']!r}), page {pv['level']}/{pv['state']} "
                                f"({pv['reason']!r})")
        if name == "default.test" and pv["level"] == "error":
            problems.append(f"the self-signed default vhost is a red row: {pv['reason']}")
        for where, v in (("probe", pr), ("page", pv)):
            if "(null)" in json.dumps(v):
                problems.append(f"{name}: {where} prints (null)")
    # one shape for a responder check: the page's and the probe's have the same members
    # (the probe adds the response it got) and say the same of good.test's responder
    pr_resp, pv_resp = probe["good.test"]["responder"], page["good.test"]["live"]["responder"]
    if set(pr_resp) - {"response"} != set(pv_resp):
        problems.append(f"responder members: probe {sorted(pr_resp)}, page {sorted(pv_resp)}")
    for key in ("url", "reachable", "verdict", "error", "message", "proxy"):
        if pr_resp.get(key) != pv_resp.get(key):
            problems.append(f"good.test responder {key}: probe {pr_resp.get(key)!r}, "
                            f"page {pv_resp.get(key)!r}")
    if (plain["level"], plain["state"], plain["reason"]) != (
            "error", "unreachable", "this port speaks HTTP, not TLS"):
        problems.append(f"the plain HTTP port: {plain['level']}/{plain['state']}: "
                        f"{plain['reason']!r}")
    assert not problems, "\n".join(problems) + "\n--- page: " + json.dumps(page, indent=1)[:4000] \
        + "\n--- probe: " + json.dumps(probe, indent=1)[:4000]


# --------------------------------------------------------------------------- (a)

NO_VHOST = "stray.test"      # no vhost has it as ServerName or ServerAlias


def test_sni_name_no_vhost_has(httpd_bin, lint_bin, workdir):
    """A client asks for a name that no vhost has: httpd answers with the default (first)
    vhost of the address. The probe says name-mismatch (error: clients refuse a certificate
    that does not cover the name), names the certificate that answered and that it is the
    default vhost's (a handshake without SNI gets the same one); what it got is exactly
    what the probe of the first vhost's own name got. The page and the linter list the
    configured vhosts only, and say of the first what the probe of its name says."""
    S.require_module()
    rport = H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    vhosts = [S.Vhost("good.test", pki.cert("good"), pki.key("good")),
              S.Vhost("revoked.test", pki.cert("revoked"), pki.key("revoked"))]
    site = S.Site(workdir / "site", vhosts, H.free_port(), H.free_port()).write()
    site.check()
    lint = H.run_lint([str(site.conf), "--format", "json"], timeout=120)
    assert lint.data, f"ocsp-lint: exit {lint.returncode}: {lint.stderr}"
    offline = {v["name"]: v for v in lint.data["vhosts"]}
    with S.Responder(pki, rport), site.instance(workdir / "run"):
        page = {v["name"]: v for v in S.wait_first_round(site.http_port)["vhosts"]}
        first = _probe(site.https_port, "good.test")
        stray = _probe(site.https_port, NO_VHOST)
    problems = []
    if set(page) != {"good.test", "revoked.test"} or set(offline) != set(page):
        problems.append(f"vhosts: page {sorted(page)}, ocsp-lint {sorted(offline)}")
    # the vhost that answers: the same words from all three
    pv, lv = page.get("good.test", {}), offline.get("good.test", {})
    want = ("good", "stapled")
    for where, v in (("page", pv), ("probe", first), ("ocsp-lint", lv)):
        if (v.get("level"), v.get("state")) != want:
            problems.append(f"good.test: {where} {v.get('level')}/{v.get('state')}")
    if first["reason"] != pv.get("reason") or first["name_match"] != "covered":
        problems.append(f"good.test: probe {first['reason']!r} ({first['name_match']}), "
                        f"page {pv.get('reason')!r}")
    # the name no vhost has
    got = (stray["level"], stray["state"], stray["name_match"], stray["ok"])
    if got != ("error", "name-mismatch", "default-vhost", False):
        problems.append(f"{NO_VHOST}: probe {got}")
    for words in (f"served for the name {NO_VHOST} does not cover it", "its names: good.test",
                  "clients refuse the connection", "the default (first) vhost of this address "
                  "answered: no vhost has the name as ServerName or ServerAlias"):
        if words not in stray["reason"]:
            problems.append(f"{NO_VHOST}: the reason lacks {words!r}: {stray['reason']!r}")
    if "ServerAlias" not in (stray["fix"] or "") or NO_VHOST not in (stray["problem"] or ""):
        problems.append(f"{NO_VHOST}: fix {stray['fix']!r}, problem {stray['problem']!r}")
    # what answered is the first vhost: its certificate and its staple, as the page has it
    if (stray["names"], stray["subject"]) != (["good.test"], first["subject"]):
        problems.append(f"{NO_VHOST}: served {stray['names']} {stray['subject']!r}, the first "
                        f"vhost serves {first['subject']!r}")
    if not (stray["staple"]["state"] == first["staple"]["state"]
            == pv.get("live", {}).get("staple") == "good"):
        problems.append(f"{NO_VHOST}: staple {stray['staple']['state']}, good.test's "
                        f"{first['staple']['state']}, the page's {pv.get('live')}")
    assert not problems, "\n".join(problems) + "\n--- probe: " + json.dumps(stray, indent=1) \
        + "\n--- page: " + json.dumps(page, indent=1)[:4000]


# --------------------------------------------------------------------------- (b)

# an OCSPResponse with responseStatus tryLater (3) and no body: what openssl ocsp cannot say
TRYLATER_DER = bytes([0x30, 0x03, 0x0A, 0x01, 0x03])


def test_trylater_and_responder_down(httpd_bin, lint_bin, workdir):
    """later.test's responder answers tryLater (a loopback FakeHttp with the DER of that
    status); good.test got a good staple, then its responder (openssl ocsp, -nmin 180) is
    stopped. Probe and page: both vhosts warning/at-risk with the same reason and fix;
    good.test's stapling_stops_at is its staple's nextUpdate in both (and in the reason,
    with the graceful restart that ends it at once; the fix points at mod_md); later.test
    has none (no usable staple now). The linter, without the network, predicts stapled for
    both. Then a graceful restart empties mod_ssl's cache: good.test gets mod_ssl's made-up
    tryLater at once, and the probe says so."""
    S.require_module()
    rport, tport = H.free_port(), H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    later_pki = S.make_pki(workdir / "pki-later", f"http://127.0.0.1:{tport}/")
    S.add_leaf(later_pki, "later")
    vhosts = [S.Vhost("good.test", pki.cert("good"), pki.key("good")),
              S.Vhost("later.test", later_pki.cert("later"), later_pki.key("later"))]
    asked_every = 10   # OcspAuditResponderInterval: a stopped responder shows soon
    site = S.Site(workdir / "site", vhosts, H.free_port(), H.free_port(), interval=5,
                  responder_interval=asked_every).write()
    site.check()
    lint = H.run_lint([str(site.conf), "--format", "json"], timeout=120)
    assert lint.data and "vhosts" in lint.data, \
        f"ocsp-lint: exit {lint.returncode}: {lint.stderr}{json.dumps(lint.data)[:3000]}"
    offline = {v["name"]: v for v in lint.data["vhosts"]}
    problems = []
    # a nextUpdate 3 h ahead: at risk, not yet an error (under an hour left is one)
    with S.Responder(pki, rport, nmin=180) as resp, \
            F.FakeHttp(tport, content_type="application/ocsp-response",
                       body=TRYLATER_DER) as later, \
            site.instance(workdir / "run") as inst:
        S.wait_first_round(site.http_port)
        resp.stop()

        def both_at_risk():
            d = S.get_json(site.http_port)
            vs = {v["name"]: v for v in d["vhosts"]}
            return vs if all(v["state"] == "at-risk" for v in vs.values()) else None

        page = S.wait_for(both_at_risk, 2 * 6 + 5 + asked_every, 0.25)
        assert page, ("not both at-risk:\n" + json.dumps(S.get_json(site.http_port),
                                                         indent=1)[:6000]
                      + inst.error_log_text()[-4000:])
        probe = {name: _probe(site.https_port, name) for name in page}
        page_after = {v["name"]: v for v in S.get_json(site.http_port)["vhosts"]}
        if not later.requests:
            problems.append("the tryLater responder was never asked")
        # the forecast: a graceful restart empties mod_ssl's stapling cache at once
        r = S.graceful(inst)
        assert r.returncode == 0, r.stdout + r.stderr
        after_reload = S.wait_for(lambda: _staple_after_reload(site.https_port), 30, 0.5)
        reloaded = _probe(site.https_port, "good.test")

        def page_sees_it():
            v = S.vhost_by_name(S.get_json(site.http_port), "good.test")
            return v if v["live"]["staple"] == "trylater" else None

        reloaded_page = S.wait_for(page_sees_it, 2 * 6 + 5, 0.25) or {}
    for name, pv in sorted(page.items()):
        pr, lv = probe[name], offline[name]
        if (pv["level"], pv["state"]) != ("warning", "at-risk"):
            problems.append(f"{name}: page {pv['level']}/{pv['state']}")
        for key in ("level", "state", "reason", "fix"):
            if pr[key] != pv[key] or page_after[name][key] != pv[key]:
                problems.append(f"{name}: {key} probe {pr[key]!r}, page {pv[key]!r} "
                                f"(then {page_after[name][key]!r})")
        if pr["stapling_stops_at"] != pv["live"]["stapling_stops_at"]:
            problems.append(f"{name}: stapling stops at {pr['stapling_stops_at']} (probe), "
                            f"{pv['live']['stapling_stops_at']} (page)")
        if (lv["level"], lv["state"]) != ("good", "stapled"):
            problems.append(f"{name}: ocsp-lint {lv['level']}/{lv['state']}")
    good, gp = probe["good.test"], page["good.test"]
    stop = good["stapling_stops_at"]
    if not stop or stop != good["staple"]["next_update"] or stop != gp["live"]["next_update"]:
        problems.append(f"good.test: stapling_stops_at {stop}, the staple's nextUpdate "
                        f"{good['staple']['next_update']} (probe), {gp['live']['next_update']} "
                        "(page)")
    elif not 2 * 3600 < epoch(stop) - time.time() <= 3 * 3600 + 60:
        problems.append(f"good.test: stapling stops at {stop}: not about 3 h ahead")
    for words in ("the OCSP responder is down", f"cached staple until {stop}, then none",
                  "a graceful restart empties mod_ssl's stapling cache and stops stapling "
                  "at once"):
        if words not in good["reason"]:
            problems.append(f"good.test: the reason lacks {words!r}: {good['reason']!r}")
    if good["staple"]["state"] != "good" or "mod_md's stapling" not in good["fix"]:
        problems.append(f"good.test: staple {good['staple']['state']}, fix {good['fix']!r}")
    lt, lp = probe["later.test"], page["later.test"]
    if (lt["staple"]["state"], lt["responder"]["verdict"], lp["live"]["staple"],
            lp["live"]["responder"]["verdict"]) != ("trylater",) * 4:
        problems.append(f"later.test: staple/responder probe {lt['staple']['state']}/"
                        f"{lt['responder']['verdict']}, page {lp['live']['staple']}/"
                        f"{lp['live']['responder']['verdict']}")
    if lt["stapling_stops_at"] is not None:
        problems.append(f"later.test: stapling_stops_at {lt['stapling_stops_at']}")
    for words in ("the OCSP responder answers tryLater", "no client gets a usable staple now",
                  "SSLStaplingErrorCacheTimeout"):
        if words not in lt["reason"]:
            problems.append(f"later.test: the reason lacks {words!r}: {lt['reason']!r}")
    if "MDStapling on" not in lt["fix"]:
        problems.append(f"later.test: fix {lt['fix']!r}")
    # mod_ssl's cache is empty and the responder down: it makes up a tryLater
    # (SSLStaplingFakeTryLater, on by default), and the probe names it so
    if after_reload != "trylater" or (reloaded["level"], reloaded["state"]) != (
            "warning", "at-risk") or "mod_ssl's made-up one" not in reloaded["reason"]:
        problems.append(f"good.test after a graceful restart: s_client sees {after_reload!r}, "
                        f"the probe {reloaded['level']}/{reloaded['state']}: "
                        f"{reloaded['reason']!r}")
    rp = reloaded_page
    page_said = {"level": rp.get("level"), "state": rp.get("state"),
                 "reason": rp.get("reason"),
                 "stapling_stops_at": rp.get("live", {}).get("stapling_stops_at", "absent")}
    for key, seen in page_said.items():
        if reloaded[key] != seen:
            problems.append(f"good.test after a graceful restart: {key} probe "
                            f"{reloaded[key]!r}, page {seen!r}")
    assert not problems, "\n".join(problems) + "\n--- probe: " \
        + json.dumps(probe, indent=1)[:6000] + "\n--- page: " + json.dumps(page, indent=1)[:4000]


def _staple_after_reload(port):
    """good.test's staple as s_client sees it once the restarted server answers."""
    try:
        return S.s_client_staple(port, "good.test")[0]
    except (H.HarnessError, OSError):
        return None
