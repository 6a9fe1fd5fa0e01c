"""One verdict, said the same way by the linter, the probe and the status page.

A real apache2 with the module and a real responder serves vhosts in different states.
For each vhost the test asks:
  - `ocsp-lint --format json` on the same configuration (vhosts[].level/state/reason),
  - `ocsp-lint probe --format json --sni NAME 127.0.0.1:PORT` (level/state/reason),
  - the status page's ?json (vhosts[].level/state/reason),
and compares them. The live ones (probe, page) must agree on everything; the linter
must agree with them wherever the configuration alone decides (no OCSP URL, stapling
off, a self-signed default vhost), and its state names and levels are the same words.

Run:  /usr/bin/python3 -m pytest tests/integration/test_one_verdict.py
"""

import json
import shutil

import pytest

import httpd as H
import ocsp_fixtures as F
import status_helpers as S


# every helper process a test starts is stopped by it (conftest.helpers_stopped)
pytestmark = pytest.mark.usefixtures("helpers_stopped")


# vhost -> (leaf, full chain, stapling, the state every output must give, the revocation
# path every output must give); every leaf names the CRL the site serves, fresh
CASES = {
    "good.test": ("good", True, True, "stapled", "staple"),
    "noocsp.test": ("noocsp", True, True, "no-ocsp-url", "crl-fresh"),
    "off.test": ("good", True, False, "off", "crl-fresh"),
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
