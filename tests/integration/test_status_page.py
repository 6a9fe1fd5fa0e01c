"""mod_ocsp_audit's live status page against a real apache2, real TLS peers and a real
browser.

  test_live_staple_matches_s_client   ?json's live.staple == what `openssl s_client -status`
                                      sees (good, revoked, none); a good staple is verified
  test_auto_and_prometheus_agree_with_json   the same values in ?auto and ?prometheus
  test_prometheus_passes_promtool     `promtool check metrics` reports nothing
  test_responder_outage               stop/start the responder: reachable, down_since,
                                      stapling_stops_at, OA00022/OA00024/OA00023 once each
  test_html_in_headless_chromium      --dump-dom rows and summary, escaping, a screenshot
                                      (artifacts/status-page.png)
  test_every_mpm                      the four formats and mod_status's section per MPM
  test_graceful_restarts_under_load   20 x `apache2 -k graceful` under load: no crash, the
                                      status is kept, no shared memory or process left
  test_probe_not_on_request_path      a black-hole responder: pages still answer at once

Needs: apache2 (mod_ssl, mod_status, mod_socache_shmcb, the three MPMs), openssl, ipcs
(util-linux), and -- installed with apt-get when missing -- promtool (Debian package
prometheus) and chromium (Debian package chromium).

Run:  /usr/bin/python3 -m pytest tests/integration/test_status_page.py
"""

import calendar
import email.utils
import json
import os
import re
import shutil
import subprocess
import time
import zlib

import pytest

import httpd as H
import status_helpers as S

# staple states `openssl s_client -status` can show, as ?json names them
S_CLIENT_TO_JSON = {"good": "good", "revoked": "revoked", "unknown": "unknown", "none": "none",
                    "tryLater": "trylater"}
HTML_LEVEL = {"good": "good", "warning": "warn", "error": "bad"}
# the odd vhost of the escaping checks: httpd takes "&" in ServerName, markup in a
# ServerAlias and, single-quoted, an alias with a double quote and a backslash (checked
# with apache2 -S); its config file lives in a directory named with & < >
ODD_NAME = "amp&ers.test"
ODD_ALIAS = "<b>bold</b>"
ODD_QUOTED = 'q"uo\\te'                       # the alias httpd makes of the word below
ODD_ALIAS_WORDS = [ODD_ALIAS, "'" + ODD_QUOTED + "'"]
ODD_DIR = "odd&dir<x>"

STANDARD = {  # vhost -> (leaf, full chain, SSLUseStapling, expected live.staple)
    "good.test": ("good", True, True, "good"),
    "nochain.test": ("nochain", False, True, "none"),
    "noocsp.test": ("noocsp", True, True, "none"),
    "revoked.test": ("revoked", True, True, "revoked"),
    "muststaple.test": ("muststaple", True, False, "none"),
}

# more global directives for every site (none: mod_ssl's stapling defaults give the good
# vhosts notes only, so their level is "good"; setting SSLStaplingReturnResponderErrors
# either way is a warning, OA401)
SITE_EXTRA = []


# every helper process a test starts is stopped by it (conftest.helpers_stopped)
pytestmark = pytest.mark.usefixtures("helpers_stopped")


def _keep_tmp():
    return bool(os.environ.get("OA_KEEP_TMP"))


def epoch(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def standard_vhosts(pki, base):
    vs = [S.Vhost(name, pki.cert(leaf, chain), pki.key(leaf), stapling=stapling)
          for name, (leaf, chain, stapling, _) in STANDARD.items()]
    vs.append(S.Vhost(ODD_NAME, pki.cert("good"), pki.key("good"), aliases=ODD_ALIAS_WORDS,
                      include_dir=base / ODD_DIR))
    return vs


# --------------------------------------------------------------------------- a shared site

class Running:
    def __init__(self, site, inst, pki, responder, base):
        self.site, self.inst, self.pki, self.responder, self.base = site, inst, pki, responder, base

    @property
    def http(self):
        return self.site.http_port

    @property
    def https(self):
        return self.site.https_port

    def diagnostics(self):
        return f"--- error log:\n{self.inst.error_log_text()[-8000:]}"


@pytest.fixture(scope="module")
def standard_site(httpd_bin):
    """One PKI, its responder and an apache2 (event MPM) with the standard vhosts plus the
    odd one, for the read-only tests; the first probe round is done when it is handed out."""
    S.require_module()
    base = S.make_tmpdir("oa-status-")
    try:
        rport = H.free_port()
        pki = S.make_pki(base / "pki", f"http://127.0.0.1:{rport}/")
        S.add_leaf(pki, "nochain")
        site = S.Site(base / "site", standard_vhosts(pki, base), H.free_port(), H.free_port(),
                      extra=SITE_EXTRA).write()
        site.check()
        with S.Responder(pki, rport) as resp, site.instance(base / "run") as inst:
            run = Running(site, inst, pki, resp, base)
            S.wait_first_round(site.http_port, timeout=60)
            yield run
    finally:
        if not _keep_tmp():
            shutil.rmtree(base, ignore_errors=True)


def consistent_views(port, tries=5):
    """(json doc, auto text, prometheus text) fetched while no probe round ended in between
    (the checked_at of every vhost the same in a ?json before and after)."""
    for _ in range(tries):
        before = S.get_json(port)
        auto = S.get_auto(port)
        prom = S.get_prometheus(port).text
        after = S.get_json(port)
        stamps = lambda d: [v["live"]["checked_at"] for v in d["vhosts"]]
        if stamps(before) == stamps(after):
            return after, auto, prom
        time.sleep(0.5)
    raise AssertionError("a probe round ended between every pair of ?json fetches")


# --------------------------------------------------------------------------- 1

def test_live_staple_matches_s_client(standard_site):
    run = standard_site
    doc = S.get_json(run.http)
    names = [v["name"] for v in doc["vhosts"]]
    assert sorted(names) == sorted(list(STANDARD) + [ODD_NAME]), names

    problems = []
    for name, (_, _, _, expected) in STANDARD.items():
        seen, out = S.s_client_staple(run.https, name)
        v = S.vhost_by_name(doc, name)
        live = v["live"]
        if S_CLIENT_TO_JSON.get(seen) != live["staple"]:
            problems.append(f"{name}: ?json live.staple {live['staple']!r}, s_client shows "
                            f"{seen!r}\n{out[-1500:]}")
        if live["staple"] != expected:
            problems.append(f"{name}: live.staple {live['staple']!r}, expected {expected!r}")
        if live["checked_at"] is None:
            problems.append(f"{name}: checked_at is null after the first round")
        if live["error"] is not None:
            problems.append(f"{name}: the probe failed: {live['error']}")
    good = S.vhost_by_name(doc, "good.test")["live"]
    if good["verified"] is not True:
        problems.append(f"good.test: verified is {good['verified']!r}, not true: {good}")
    for name in ("nochain.test", "noocsp.test", "muststaple.test"):
        if S.vhost_by_name(doc, name)["live"]["verified"] is not False:
            problems.append(f"{name}: no staple but verified is not false")
    if good["this_update"] is None or good["next_update"] is None:
        problems.append(f"good.test: a good staple without thisUpdate/nextUpdate: {good}")
    assert not problems, "\n".join(problems) + "\n" + json.dumps(doc, indent=1)[:6000] \
        + run.diagnostics()


def _auto_checks(doc, auto_text):
    problems = []
    levels = [v["level"] for v in doc["vhosts"]]
    by_level = {"vhosts": len(levels), "good": levels.count("good"),
                "warnings": levels.count("warning"), "errors": levels.count("error")}
    if doc["summary"] != by_level:
        problems.append(f"?json summary {doc['summary']} but the vhosts' levels give {by_level}")
    summary, rows = S.parse_auto(auto_text)
    s = doc["summary"]
    want = {"OcspAuditVhosts": s["vhosts"], "OcspAuditGood": s["good"],
            "OcspAuditWarnings": s["warnings"], "OcspAuditErrors": s["errors"],
            "OcspAuditStapledGood": sum(v["live"]["staple"] == "good" for v in doc["vhosts"])}
    for k, val in want.items():
        if summary.get(k) != str(val):
            problems.append(f"?auto {k}: {summary.get(k)!r}, ?json says {val}")
    if len(rows) != len(doc["vhosts"]):
        problems.append(f"?auto has {len(rows)} vhosts, ?json {len(doc['vhosts'])}")
    for i, (row, v) in enumerate(zip(rows, doc["vhosts"])):
        live, resp = v["live"], v["live"]["responder"]
        expect = {
            "Name": v["name"], "Addresses": " ".join(v["addresses"]),
            "ConfigStapling": v["config"]["stapling"], "Findings": " ".join(v["config"]["findings"]),
            "Staple": live["staple"], "Verified": "1" if live["verified"] else "0",
            "ThisUpdate": live["this_update"] or "", "NextUpdate": live["next_update"] or "",
            "CheckedAt": live["checked_at"] or "",
            "ResponderUp": {True: "1", False: "0", None: ""}[resp["reachable"]],
            "ResponderError": resp["message"] or "",
            "StaplingStopsAt": live["stapling_stops_at"] or "",
            "Level": v["level"], "State": v["state"], "Revocation": v["revocation"],
            "CrlVerdict": (live["crl"] or {}).get("verdict") or "",
            "CrlNextUpdate": (live["crl"] or {}).get("next_update") or "",
        }
        for k, val in expect.items():
            if row.get(k) != val:
                problems.append(f"?auto OcspAudit[{i}]{k}: {row.get(k)!r}, ?json: {val!r}")
        lat = row.get("ResponderLatencyMs")
        if resp["latency_ms"] is None:
            if lat not in ("", "0"):
                problems.append(f"?auto [{i}] ResponderLatencyMs {lat!r} for an unchecked responder")
        elif lat != str(resp["latency_ms"]):
            problems.append(f"?auto [{i}] ResponderLatencyMs {lat!r}, ?json {resp['latency_ms']}")
        left = row.get("SecondsLeft")
        if live["seconds_left"] is None:
            if left not in ("", "0"):
                problems.append(f"?auto [{i}] SecondsLeft {left!r} without a nextUpdate")
        elif not re.fullmatch(r"-?\d+", left or "") or abs(int(left) - live["seconds_left"]) > 3:
            problems.append(f"?auto [{i}] SecondsLeft {left!r}, ?json {live['seconds_left']}")
    return problems


STATUSES = ("good", "revoked", "unknown", "trylater", "none", "error", "pending")


def _prometheus_checks(doc, prom_text):
    problems = []
    prom = S.parse_prometheus(prom_text)
    families = ("ssl_ocsp_response_stapled", "ssl_ocsp_response_status",
                "ssl_ocsp_response_this_update", "ssl_ocsp_response_next_update",
                "ssl_ocsp_response_produced_at", "ssl_cert_not_after",
                "ocsp_audit_staple_status", "ocsp_audit_vhost_level", "ocsp_audit_vhost_verdict",
                "ocsp_audit_staple_verified", "ocsp_audit_staple_next_update_seconds",
                "ocsp_audit_responder_up", "ocsp_audit_responder_latency_seconds",
                "ocsp_audit_config_findings", "ocsp_audit_last_probe_timestamp_seconds",
                "ocsp_audit_stapling_stop_timestamp_seconds", "ocsp_audit_must_staple",
                "ocsp_audit_responder_last_check_timestamp_seconds", "ocsp_audit_build_info",
                "ocsp_audit_vhosts", "ocsp_audit_probe_round_duration_seconds",
                "ocsp_audit_probe_round_end_timestamp_seconds", "ocsp_audit_vhost_revocation",
                "ocsp_audit_crl_ok", "ocsp_audit_crl_next_update_timestamp_seconds",
                "ocsp_audit_crl_last_check_timestamp_seconds")
    for f in families:
        if prom["types"].get(f) != "gauge":
            problems.append(f"{f}: TYPE {prom['types'].get(f)!r}, not gauge")
        if not prom["help"].get(f):
            problems.append(f"{f}: no HELP")
    for n, labels, _ in prom["samples"]:
        if n not in families:
            problems.append(f"an unexpected metric {n} {labels}")
        if "index" in labels:
            problems.append(f"{n} has an index label: it shifts when vhosts change")
    for f in families:
        if f != "ocsp_audit_probe_round_duration_seconds" and f != \
                "ocsp_audit_probe_round_end_timestamp_seconds" and f not in prom["types"]:
            problems.append(f"no family {f}")
    builds = [ls for n, ls, _ in prom["samples"] if n == "ocsp_audit_build_info"]
    if len(builds) != 1 or not builds[0].get("version"):
        problems.append(f"ocsp_audit_build_info samples: {builds}")
    for i, v in enumerate(doc["vhosts"]):
        live, resp = v["live"], v["live"]["responder"]
        sel = {"vhost": v["name"], "address": " ".join(v["addresses"])}

        def val(metric, **more):
            return S.prom_value(prom, metric, **sel, **more)

        def want(metric, expected, **more):
            got = val(metric, **more)
            ok = (got is None and expected is None) or (
                got is not None and expected is not None and abs(got - expected) <= 1e-9)
            if not ok:
                problems.append(f"{metric}{{vhost={v['name']!r},{more}}}: {got}, ?json gives "
                                f"{expected}")

        present = live["checked_at"] is not None and live["staple"] in (
            "good", "revoked", "unknown", "trylater")
        want("ssl_ocsp_response_stapled", 1.0 if present else 0.0)
        want("ssl_ocsp_response_status", {"good": 0.0, "revoked": 1.0, "unknown": 2.0}.get(
            live["staple"]) if live["checked_at"] else None)
        want("ssl_ocsp_response_next_update",
             float(epoch(live["next_update"])) if live["next_update"] else None)
        want("ocsp_audit_vhost_level", {"good": 0.0, "warning": 1.0, "error": 2.0}[v["level"]])
        want("ocsp_audit_vhost_verdict", 1.0, level=v["level"], state=v["state"])
        want("ocsp_audit_vhost_revocation", 1.0, path=v["revocation"])
        crl = live["crl"]
        if crl is None:
            want("ocsp_audit_crl_last_check_timestamp_seconds", None)
        else:
            want("ocsp_audit_crl_ok", 1.0 if crl["verdict"] == "ok" else 0.0, url=crl["url"],
                 verdict=crl["verdict"])
            want("ocsp_audit_crl_last_check_timestamp_seconds",
                 float(epoch(crl["checked_at"])))
            want("ocsp_audit_crl_next_update_timestamp_seconds",
                 float(epoch(crl["next_update"])) if crl["next_update"] else None)
        for st in STATUSES:
            want("ocsp_audit_staple_status", 1.0 if live["staple"] == st else 0.0, status=st)
        want("ocsp_audit_staple_verified", 1.0 if live["verified"] else 0.0)
        nu = val("ocsp_audit_staple_next_update_seconds")
        if live["seconds_left"] is None:
            if nu is not None:
                problems.append(f"{v['name']}: next_update_seconds {nu} without a nextUpdate")
        elif nu is None or abs(nu - live["seconds_left"]) > 3:
            problems.append(f"{v['name']}: next_update_seconds {nu}, ?json seconds_left "
                            f"{live['seconds_left']}")
        if resp["reachable"] is None:
            want("ocsp_audit_responder_up", None)
        else:
            want("ocsp_audit_responder_up", 1.0 if resp["reachable"] else 0.0, url=resp["url"])
        if resp["reachable"]:
            want("ocsp_audit_responder_latency_seconds", resp["latency_ms"] / 1000.0,
                 phase="response")
        else:
            want("ocsp_audit_responder_latency_seconds", None, phase="response")
        for sev, key in (("error", "errors"), ("warning", "warnings"), ("note", "notes")):
            want("ocsp_audit_config_findings", float(v["config"][key]), severity=sev)
        want("ocsp_audit_last_probe_timestamp_seconds",
             float(epoch(live["checked_at"])) if live["checked_at"] else None)
        want("ocsp_audit_stapling_stop_timestamp_seconds",
             float(epoch(live["stapling_stops_at"])) if live["stapling_stops_at"] else None)
    return problems


def test_auto_and_prometheus_agree_with_json(standard_site):
    doc, auto, prom = consistent_views(standard_site.http)
    problems = _auto_checks(doc, auto) + _prometheus_checks(doc, prom)
    assert not problems, "\n".join(problems) + f"\n--- ?json:\n{json.dumps(doc, indent=1)[:5000]}" \
                                               f"\n--- ?auto:\n{auto}\n--- ?prometheus:\n{prom[:6000]}"


# --------------------------------------------------------------------------- 2

def test_prometheus_passes_promtool(standard_site):
    promtool = S.require_binary("promtool", "prometheus", "PROMTOOL")
    a = S.get_prometheus(standard_site.http)
    ctype = a.header("Content-Type") or ""
    assert ctype.startswith("text/plain") and "version=0.0.4" in ctype, ctype
    rc, lines = S.promtool_check(promtool, a.text)
    assert rc == 0 and not lines, \
        f"promtool check metrics: exit {rc}, {len(lines)} line(s):\n" + "\n".join(lines) \
        + f"\n--- the exposition:\n{a.text[:6000]}"
    # promtool takes an empty exposition too: make sure something was checked
    assert "ocsp_audit_staple_status{" in a.text, a.text[:3000]


# --------------------------------------------------------------------------- 4

def _summary_counts(text):
    m = re.search(r"(\d+) SSL virtual hosts?: (\d+) good, (\d+) warnings?, (\d+) errors?", text)
    assert m, f"the summary paragraph does not give the counts: {text!r}"
    return tuple(int(x) for x in m.groups())


def _png_pixels_vary(path):
    """Whether the PNG's decompressed image data holds more than a handful of distinct
    byte values (a blank page would not)."""
    data = path.read_bytes()
    pos, idat = 8, b""
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return len(set(raw)) > 16


def test_html_in_headless_chromium(standard_site):
    chromium = S.require_binary("chromium", "chromium", "CHROMIUM")
    run = standard_site
    doc = S.get_json(run.http)
    url = f"http://127.0.0.1:{run.http}{S.STATUS_PATH}"
    browser = S.Chromium(chromium)

    dom_text = browser.dump_dom(url)
    dom = S.parse_dom(dom_text)
    rows = [tr for tr in dom.iter("tr") if "data-vhost" in tr.attrs]
    by_name = {}
    for tr in rows:
        by_name.setdefault(tr.attrs["data-vhost"], []).append(tr)
    problems = []
    names = [v["name"] for v in doc["vhosts"]]
    if sorted(by_name) != sorted(names):
        problems.append(f"rows with data-vhost {sorted(by_name)}, ?json vhosts {sorted(names)}")
    for v in doc["vhosts"]:
        trs = by_name.get(v["name"], [])
        if len(trs) != 1:
            problems.append(f"{len(trs)} rows for {v['name']!r}")
            continue
        tr = trs[0]
        cls = (tr.attrs.get("class") or "").split()
        if HTML_LEVEL[v["level"]] not in cls:
            problems.append(f"row {v['name']!r} has class {cls}, level is {v['level']}")
        text = tr.text()
        if v["live"]["staple"] not in text:
            problems.append(f"row {v['name']!r} does not show the staple {v['live']['staple']}")
    summary = dom.find_id("summary")
    if summary is None or summary.tag != "p":
        problems.append("no <p id=summary>")
    else:
        s = doc["summary"]
        got = _summary_counts(summary.text())
        if got != (s["vhosts"], s["good"], s["warnings"], s["errors"]):
            problems.append(f"summary paragraph {summary.text()!r} gives {got}, ?json {s}")

    # escaping: the odd vhost's name, alias and file are text, never markup
    odd = by_name.get(ODD_NAME, [None])[0]
    odd_json = S.vhost_by_name(doc, ODD_NAME)
    if odd_json["aliases"] != [ODD_ALIAS, ODD_QUOTED]:
        problems.append(f"?json aliases of {ODD_NAME}: {odd_json['aliases']}")
    if ODD_DIR not in odd_json["file"]:
        problems.append(f"?json file of {ODD_NAME}: {odd_json['file']!r}")
    if odd is not None:
        text = odd.text()
        for needle in (ODD_NAME, ODD_ALIAS, ODD_QUOTED, f"{ODD_DIR}/vhost.conf"):
            if needle not in text:
                problems.append(f"the {ODD_NAME} row's text lacks {needle!r}: {text!r}")
        bolds = [b.text() for b in odd.iter("b")]
        if "bold" in bolds:
            problems.append(f"the alias {ODD_ALIAS!r} became markup: <b> elements {bolds}")
        if any(n.tag == "x" for n in dom.iter()):
            problems.append("the path's '<x>' became an element")
    raw = S.get(run.http, S.STATUS_PATH).text
    for needle in ("amp&amp;ers.test", "&lt;b&gt;bold&lt;/b&gt;", "odd&amp;dir&lt;x&gt;",
                   "q&quot;uo\\te"):
        if needle not in raw:
            problems.append(f"the page's HTML lacks the escaped {needle!r}")
    for bad in ("<b>bold</b>", "dir<x>", "amp&ers", 'q"uo'):
        if bad in raw:
            problems.append(f"the page's HTML holds {bad!r} unescaped")
    assert not problems, "\n".join(problems) + f"\n--- DOM:\n{dom_text[:8000]}"

    png = S.ARTIFACTS_DIR / "status-page.png"
    browser.screenshot(url, png, size=(1400, 900))
    w, h = S.png_size(png)
    size = png.stat().st_size
    print(f"screenshot: {png} ({w}x{h}, {size} bytes)")
    assert (w, h) == (1400, 900), f"{png} is {w}x{h}"
    assert size > 8000, f"{png} is only {size} bytes"
    assert _png_pixels_vary(png), f"{png} looks blank"


def test_html_states_and_filters_in_chromium(standard_site):
    """Each state on the page: ?state=X shows exactly the vhosts ?json gives that state,
    with the verdict's reason and fix in words; a screenshot per state
    (artifacts/status-STATE.png); ?level=error likewise; ?refresh=30 reloads."""
    chromium = S.require_binary("chromium", "chromium", "CHROMIUM")
    run = standard_site
    doc = S.get_json(run.http)
    browser = S.Chromium(chromium)
    problems = []
    states = sorted({v["state"] for v in doc["vhosts"]})
    assert len(states) >= 4, f"the standard site shows only the states {states}"
    for state in states:
        url = f"http://127.0.0.1:{run.http}{S.STATUS_PATH}?state={state}"
        dom = S.parse_dom(browser.dump_dom(url))
        rows = {tr.attrs["data-vhost"]: tr for tr in dom.iter("tr") if "data-vhost" in tr.attrs}
        want = {v["name"]: v for v in doc["vhosts"] if v["state"] == state}
        if sorted(rows) != sorted(want):
            problems.append(f"?state={state}: rows {sorted(rows)}, ?json {sorted(want)}")
            continue
        for name, v in want.items():
            text = rows[name].text()
            if v["reason"] not in text or (v["fix"] and v["fix"] not in text):
                problems.append(f"?state={state}: the row of {name} lacks the reason or fix: "
                                f"{text!r}")
            if rows[name].attrs.get("data-state") != state:
                problems.append(f"{name}: data-state {rows[name].attrs.get('data-state')}")
        png = S.ARTIFACTS_DIR / f"status-{state}.png"
        browser.screenshot(url, png, size=(1400, 500))
        if S.png_size(png) != (1400, 500) or not _png_pixels_vary(png):
            problems.append(f"{png}: not a screenshot of the page")
    errors = {v["name"] for v in doc["vhosts"] if v["level"] == "error"}
    dom = S.parse_dom(browser.dump_dom(f"http://127.0.0.1:{run.http}{S.STATUS_PATH}?level=error"))
    shown = {tr.attrs["data-vhost"] for tr in dom.iter("tr") if "data-vhost" in tr.attrs}
    if shown != errors:
        problems.append(f"?level=error shows {sorted(shown)}, ?json errors {sorted(errors)}")
    raw = S.get(run.http, S.STATUS_PATH + "?refresh=30").text
    if '<meta http-equiv="refresh" content="30">' not in raw:
        problems.append("?refresh=30 has no refresh meta element")
    if '<meta http-equiv="refresh"' in S.get(run.http, S.STATUS_PATH).text:
        problems.append("the plain page refreshes itself")
    # rule IDs are links to their pages
    for v in doc["vhosts"]:
        for rid in v["config"]["findings"]:
            if f'{rid}.md">{rid}</a>' not in raw and f'{rid}.md">{rid}</a>' not in \
                    S.get(run.http, S.STATUS_PATH).text:
                problems.append(f"{rid} of {v['name']} is not a link")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- 3

def test_responder_outage(httpd_bin, workdir):
    S.require_module()
    interval = 5
    rport = H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    # one vhost with a responder: "exactly once" is about one vhost's events
    vhosts = [S.Vhost("good.test", pki.cert("good"), pki.key("good")),
              S.Vhost("noocsp.test", pki.cert("noocsp"), pki.key("noocsp"))]
    # the responder is asked at most every OcspAuditResponderInterval (10 s here; the
    # default is an hour), a failing one as often
    asked_every = 10
    site = S.Site(workdir / "site", vhosts, H.free_port(), H.free_port(), interval=interval,
                  extra=SITE_EXTRA, responder_interval=asked_every).write()
    site.check()
    # a round ends at most interval + 1 s (the watchdog's tick) after the last one, and
    # takes a moment itself: "two rounds" with room for that; a change of the responder
    # shows at the first round after its next question
    two_rounds = 2 * (interval + 1) + 5 + asked_every
    with S.Responder(pki, rport) as resp, site.instance(workdir / "run") as inst:
        doc = S.wait_first_round(site.http_port)
        v = S.vhost_by_name(doc, "good.test")["live"]
        assert v["staple"] == "good" and v["responder"]["reachable"] is True, \
            f"before the outage: {json.dumps(v, indent=1)}\n{inst.error_log_text()[-4000:]}"

        resp.stop()
        stopped_at = time.time()

        def down():
            d = S.get_json(site.http_port)
            live = S.vhost_by_name(d, "good.test")["live"]
            return d if live["responder"]["reachable"] is False else None

        t0 = time.monotonic()
        doc = S.wait_for(down, two_rounds, 0.25)
        log = inst.error_log_text()
        assert doc, (f"responder still reachable {two_rounds} s after it stopped:\n"
                     f"{json.dumps(S.get_json(site.http_port), indent=1)[:4000]}\n{log[-5000:]}")
        print(f"responder seen down after {time.monotonic() - t0:.1f} s")
        live = S.vhost_by_name(doc, "good.test")["live"]
        r = live["responder"]
        problems = []
        if not r["error"]:
            problems.append(f"responder.error is {r['error']!r}")
        if not r["down_since"]:
            problems.append("responder.down_since is null")
        elif not (stopped_at - 2 <= epoch(r["down_since"]) <= time.time() + 1):
            problems.append(f"down_since {r['down_since']} is not after the stop at "
                            f"{time.strftime('%H:%M:%S', time.gmtime(stopped_at))}")
        if live["staple"] != "good":
            problems.append(f"the cached staple is {live['staple']!r}, not good")
        if not live["next_update"] or live["stapling_stops_at"] != live["next_update"]:
            problems.append(f"stapling_stops_at {live['stapling_stops_at']!r} != next_update "
                            f"{live['next_update']!r}")
        seen, out = S.s_client_staple(site.https_port, "good.test")
        if seen != "good":
            problems.append(f"s_client sees {seen!r} while the cached staple lasts")
        auto_summary, auto_rows = S.parse_auto(S.get_auto(site.http_port))
        idx = [x["name"] for x in doc["vhosts"]].index("good.test")
        if auto_rows[idx].get("ResponderUp") != "0":
            problems.append(f"?auto ResponderUp {auto_rows[idx].get('ResponderUp')!r}")
        if live["stapling_stops_at"] and auto_rows[idx].get("StaplingStopsAt") != live["stapling_stops_at"]:
            problems.append(f"?auto StaplingStopsAt {auto_rows[idx].get('StaplingStopsAt')!r}")
        prom = S.parse_prometheus(S.get_prometheus(site.http_port).text)
        stop_ts = S.prom_value(prom, "ocsp_audit_stapling_stop_timestamp_seconds", vhost="good.test")
        if live["next_update"] and stop_ts != float(epoch(live["next_update"])):
            problems.append(f"ocsp_audit_stapling_stop_timestamp_seconds {stop_ts}")
        if S.prom_value(prom, "ocsp_audit_responder_up", vhost="good.test") != 0.0:
            problems.append("ocsp_audit_responder_up is not 0")
        page = S.get(site.http_port, S.STATUS_PATH).text
        if r["down_since"] and f"down</span> since {r['down_since']}" not in page:
            problems.append(f"the HTML page does not show 'down since {r['down_since']}'")
        if live["stapling_stops_at"] and f"stapling stops {live['stapling_stops_at']}" not in page:
            problems.append(f"the HTML page does not show 'stapling stops "
                            f"{live['stapling_stops_at']}'")
        # one more round down: nothing is logged twice
        S.wait_rounds(inst, 1, two_rounds)
        log = inst.error_log_text()
        for code in ("OA00022", "OA00024"):
            n = len(S.log_lines(log, code + ":"))
            if n != 1:
                problems.append(f"{code} logged {n} times (expected once)")
        if S.log_lines(log, "OA00023:"):
            problems.append("OA00023 (back) logged while the responder is down")
        for ln in S.log_lines(log, "OA00022:"):
            if pki.url not in ln or "good.test" not in ln:
                problems.append(f"OA00022 does not name the responder {pki.url} and the vhost: {ln}")
        for ln in S.log_lines(log, "OA00024:"):
            m = re.search(r"will stop stapling at (.+? GMT)", ln)
            when = m and email.utils.parsedate_to_datetime(m.group(1)).timestamp()
            if not m or not live["next_update"] or when != epoch(live["next_update"]):
                problems.append(f"OA00024 does not give the staple's nextUpdate "
                                f"{live['next_update']}: {ln}")
        assert not problems, "\n".join(problems) + f"\n--- ?json:\n{json.dumps(doc, indent=1)}" \
                                                   f"\n--- error log:\n{log[-6000:]}"

        resp.start()

        def up():
            d = S.get_json(site.http_port)
            live = S.vhost_by_name(d, "good.test")["live"]
            return d if live["responder"]["reachable"] is True else None

        doc = S.wait_for(up, two_rounds, 0.25)
        log = inst.error_log_text()
        assert doc, (f"responder not reachable again {two_rounds} s after it started:\n"
                     f"{json.dumps(S.get_json(site.http_port), indent=1)[:4000]}\n{log[-5000:]}")
        S.wait_rounds(inst, 1, two_rounds)
        doc = S.get_json(site.http_port)
        live = S.vhost_by_name(doc, "good.test")["live"]
        log = inst.error_log_text()
        problems = []
        counts = {c: len(S.log_lines(log, c + ":")) for c in ("OA00022", "OA00023", "OA00024")}
        if counts != {"OA00022": 1, "OA00023": 1, "OA00024": 1}:
            problems.append(f"log line counts {counts}, expected each once")
        if live["responder"]["down_since"] is not None or live["responder"]["error"] is not None:
            problems.append(f"responder back but down_since/error still set: {live['responder']}")
        if live["stapling_stops_at"] is not None:
            problems.append(f"responder back but stapling_stops_at {live['stapling_stops_at']}")
        if live["staple"] != "good":
            problems.append(f"staple {live['staple']!r} after the responder came back")
        assert not problems, "\n".join(problems) + f"\n--- ?json:\n{json.dumps(doc, indent=1)}" \
                                                   f"\n--- error log:\n{log[-6000:]}"


# --------------------------------------------------------------------------- 5

@pytest.mark.parametrize("mpm", S.MPMS)
def test_every_mpm(httpd_bin, workdir, mpm):
    S.require_module()
    rport = H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    vhosts = [S.Vhost("good.test", pki.cert("good"), pki.key("good")),
              S.Vhost("noocsp.test", pki.cert("noocsp"), pki.key("noocsp"))]
    site = S.Site(workdir / "site", vhosts, H.free_port(), H.free_port(), mpm=mpm,
                  extra=SITE_EXTRA).write()
    site.check()
    with S.Responder(pki, rport), site.instance(workdir / "run") as inst:
        doc = S.wait_first_round(site.http_port)
        problems = []
        good = S.vhost_by_name(doc, "good.test")["live"]
        if good["staple"] != "good" or good["verified"] is not True:
            problems.append(f"{mpm}: good.test live {good}")
        if S.vhost_by_name(doc, "noocsp.test")["live"]["staple"] != "none":
            problems.append(f"{mpm}: noocsp.test is not 'none'")
        doc, auto, prom = consistent_views(site.http_port)
        problems += [f"{mpm}: {p}" for p in _auto_checks(doc, auto) + _prometheus_checks(doc, prom)]
        page = S.get(site.http_port, S.STATUS_PATH)
        if page.status != 200 or not (page.header("Content-Type") or "").startswith("text/html"):
            problems.append(f"{mpm}: HTML page: HTTP {page.status} {page.header('Content-Type')}")
        rows = re.findall(r'<tr class="(\w+)" data-vhost="([^"]*)"', page.text)
        if sorted(n for _, n in rows) != ["good.test", "noocsp.test"]:
            problems.append(f"{mpm}: HTML rows {rows}")
        st = S.get(site.http_port, "/server-status")
        if st.status != 200 or "OCSP stapling (mod_ocsp_audit)" not in st.text:
            problems.append(f"{mpm}: /server-status (HTTP {st.status}) has no OCSP section")
        elif 'data-vhost="good.test"' not in st.text:
            problems.append(f"{mpm}: /server-status's section has no good.test row")
        sta = S.get(site.http_port, "/server-status?auto")
        if sta.status != 200 or "OcspAuditVhosts:" not in sta.text:
            problems.append(f"{mpm}: /server-status?auto (HTTP {sta.status}) lacks OcspAuditVhosts:")
        else:
            m = re.search(r"^OcspAuditVhosts: (\d+)$", sta.text, re.M)
            if not m or m.group(1) != "2":
                problems.append(f"{mpm}: /server-status?auto OcspAuditVhosts {m and m.group(1)}")
        bad = S.crash_lines(inst.error_log_text())
        if bad:
            problems.append(f"{mpm}: error log: {bad}")
        assert not problems, "\n".join(problems) + f"\n--- error log:\n{inst.error_log_text()[-5000:]}"


# --------------------------------------------------------------------------- 6

def test_graceful_restarts_under_load(httpd_bin, workdir):
    S.require_module()
    rport = H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    S.add_leaf(pki, "nochain")
    site = S.Site(workdir / "site", standard_vhosts(pki, workdir), H.free_port(), H.free_port(),
                  interval=5, extra=SITE_EXTRA).write()
    site.check()
    conf_marker = str(site.conf)
    assert not S.apache_processes(conf_marker)
    shm_before = S.shm_state()
    restarts, load = [], None
    with S.Responder(pki, rport):
        inst = site.instance(workdir / "run")
        with inst:
            S.wait_first_round(site.http_port)
            maps_before = S.shared_mappings(inst.pid)
            load = S.LoadClient(site.http_port, site.https_port, [v.name for v in site.vhosts],
                                max_turns=20000, max_seconds=240).start()
            try:
                for i in range(20):
                    # some restarts come faster than a probe round, some after one
                    time.sleep((0.3, 0.6, 1.1, 1.6)[i % 4])
                    r = S.graceful(inst)
                    restarts.append((i, r.returncode, (r.stdout + r.stderr).strip()))
                    assert inst.running(), f"apache2 gone after graceful #{i + 1}\n" \
                                           f"{inst.error_log_text()[-5000:]}"
                # the last generation answers and has the status of the vhosts
                rounds = S.round_count(inst.error_log_text())
                assert S.wait_for(lambda: S.round_count(inst.error_log_text()) > rounds, 20), \
                    f"no probe round after the last restart\n{inst.error_log_text()[-4000:]}"
                final = S.get_json(site.http_port)
                maps_after = S.shared_mappings(inst.pid)
            finally:
                load.stop()
            log = inst.error_log_text()
        gone = S.wait_for(lambda: not S.apache_processes(conf_marker), 15, 0.2)
        left = [] if gone else S.apache_processes(conf_marker)
    shm_after = S.shm_state()

    problems = []
    failed = [x for x in restarts if x[1] != 0]
    if failed:
        problems.append(f"apache2 -k graceful failed: {failed}")
    gens = len(S.log_lines(log, "AH00493"))   # "SIGUSR1 received.  Doing graceful restart"
    if gens != 20:
        problems.append(f"{gens} graceful restarts logged (AH00493), expected 20")
    crashes = S.crash_lines(log)
    if crashes:
        problems.append("crash lines in the error log:\n  " + "\n  ".join(crashes[:20]))
    if load.bad_json:
        problems.append(f"{len(load.bad_json)} ?json answers did not parse: {load.bad_json[:3]}")
    if load.errors:
        problems.append(f"{len(load.errors)} ?json requests failed: {load.errors[:5]}")
    if load.handshake_errors:
        problems.append(f"{len(load.handshake_errors)} TLS handshakes failed: "
                        f"{load.handshake_errors[:5]}")
    if len(load.docs) < 20:
        problems.append(f"only {len(load.docs)} ?json answers during the restarts")
    probed, regressions = set(), []
    for t, d in load.docs:
        names = [v["name"] for v in d["vhosts"]]
        if sorted(names) != sorted(v.name for v in site.vhosts):
            problems.append(f"a ?json answer lists {names}")
            break
        for v in d["vhosts"]:
            if v["live"]["checked_at"]:
                probed.add(v["name"])
            elif v["name"] in probed:
                regressions.append(f"{v['name']} at +{t - load.docs[0][0]:.1f} s")
    if regressions:
        problems.append(f"checked_at went back to null after a restart ({len(regressions)} "
                        f"times): {regressions[:10]}")
    if any(not v["live"]["checked_at"] for v in final["vhosts"]):
        problems.append(f"after the restarts: {[v['name'] for v in final['vhosts'] if not v['live']['checked_at']]} not probed")
    if left:
        problems.append(f"apache2 processes left after stop: {left}")
    if maps_after != maps_before:
        gone = [m for m in maps_before if m not in maps_after]
        new = [m for m in maps_after if m not in maps_before]
        problems.append(f"the parent's shared mappings changed over 20 restarts: "
                        f"{len(maps_before)} -> {len(maps_after)}; new {new[:10]}, gone {gone[:10]}")
    # the restarts change nothing that is watched: no transition may be logged
    for code in ("OA00020", "OA00021", "OA00022", "OA00023", "OA00024"):
        spurious = S.log_lines(log, code + ":")
        if spurious:
            problems.append(f"{code} logged during restarts that change nothing: {spurious[:3]}")
    new_files = sorted(shm_after[0] - shm_before[0])
    new_segs = sorted(shm_after[1] - shm_before[1])
    if new_files or new_segs:
        problems.append(f"shared memory left: /dev/shm {new_files}, ipcs -m {new_segs}")
    print(f"load: {len(load.docs)} ?json answers, {load.handshakes} handshakes in {load.turns} "
          f"turns; {S.round_count(log)} probe rounds; parent's shared mappings "
          f"{len(maps_before)} -> {len(maps_after)}")
    assert not problems, "\n".join(problems) + f"\n--- error log (tail):\n{log[-6000:]}"


# --------------------------------------------------------------------------- 7

def test_probe_not_on_request_path(httpd_bin, workdir):
    S.require_module()
    hole_port = H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{hole_port}/")
    vhosts = [S.Vhost("good.test", pki.cert("good"), pki.key("good"))]
    # the probe's handshake waits while mod_ssl waits for the black hole (3 s, then mod_ssl
    # staples a made-up tryLater); then the probe's own responder check waits the full
    # OcspAuditProbeTimeout (5 s): a round stuck for about 8 s. (With mod_ssl waiting
    # longer than the probe, the handshake times out and the responder is not checked.)
    site = S.Site(workdir / "site", vhosts, H.free_port(), H.free_port(), interval=60,
                  probe_timeout=5, stapling_timeout=3, extra=SITE_EXTRA).write()
    site.check()
    with S.BlackHole(hole_port) as hole, site.instance(workdir / "run") as inst:
        started = time.monotonic()
        assert S.wait_for(lambda: hole.accepted > 0, 20, 0.05), \
            f"nothing connected to the black hole\n{inst.error_log_text()[-4000:]}"
        stuck_at = time.monotonic()
        slow, answers = [], 0
        paths = (S.STATUS_PATH, S.STATUS_PATH + "?json", S.STATUS_PATH + "?auto",
                 S.STATUS_PATH + "?prometheus", S.PAGE_PATH, "/server-status?auto")
        while time.monotonic() - stuck_at < 4.0:
            for p in paths:
                try:
                    a = S.get(site.http_port, p, timeout=3)
                except OSError as e:
                    slow.append(f"{p}: {type(e).__name__}: {e}")
                    continue
                answers += 1
                if a.status != 200 or a.elapsed >= 0.5:
                    slow.append(f"{p}: HTTP {a.status} in {a.elapsed:.3f} s")
            time.sleep(0.05)
        doc = S.get_json(site.http_port)
        log = inst.error_log_text()
        round_done = S.round_count(log)
        assert answers > 20, f"only {answers} answers in the window"
        # the window was inside a stuck round: nothing probed, no round ended
        assert doc["vhosts"][0]["live"]["checked_at"] is None and round_done == 0, \
            (f"the probe round was not stuck during the window (checked_at "
             f"{doc['vhosts'][0]['live']['checked_at']}, {round_done} rounds ended)\n{log[-4000:]}")
        assert not slow, f"{len(slow)} of {answers} requests were slow or failed while a " \
                         f"probe round was stuck:\n" + "\n".join(slow[:30]) + f"\n{log[-4000:]}"
        # and the round ends, bounded by the timeouts, with the responder down
        doc = S.wait_for(lambda: S.first_round_done(site.http_port), 40, 0.25)
        assert doc, f"the stuck round did not end within 40 s\n{inst.error_log_text()[-4000:]}"
        took = time.monotonic() - started
        r = doc["vhosts"][0]["live"]["responder"]
        print(f"stuck round ended after {took:.1f} s: staple {doc['vhosts'][0]['live']['staple']}"
              f", error {doc['vhosts'][0]['live']['error']!r}, responder {r}")
        assert r["reachable"] is False and r["error"], \
            f"a black-hole responder is not shown down: {json.dumps(doc, indent=1)}"


# --------------------------------------------------------------------------- 8

def _metric_names(expr):
    """The metric names an expression reads (ours and ssl_exporter's)."""
    return set(re.findall(r"\b((?:ocsp_audit|ssl)_[a-z_]+)\b", expr))


def test_shipped_rules_and_dashboard(standard_site):
    """contrib/prometheus: promtool's unit tests of every alert pass, and every metric the
    rules and the Grafana dashboard read is one the module emits."""
    promtool = S.require_binary("promtool", "prometheus", "PROMTOOL")
    top = S.HERE.parent.parent
    rules = top / "contrib" / "prometheus" / "ocsp-audit.rules.yml"
    r = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True,
                       text=True, timeout=60, env=H.minimal_env())
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([promtool, "test", "rules", "ocsp-audit.test.yml"], capture_output=True,
                       text=True, timeout=120, env=H.minimal_env(),
                       cwd=str(top / "contrib" / "prometheus" / "tests"))
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr
    emitted = set(S.parse_prometheus(S.get_prometheus(standard_site.http).text)["types"])
    used = set()
    for ln in rules.read_text().splitlines():
        if ln.strip().startswith("expr:"):
            used |= _metric_names(ln)
    dash = json.loads((top / "contrib" / "grafana" / "ocsp-audit-fleet.json").read_text())
    for panel in dash["panels"]:
        for t in panel.get("targets", []):
            used |= _metric_names(t["expr"])
    assert len(used) >= 10, used
    missing = sorted(used - emitted)
    assert not missing, f"rules or dashboard read metrics the module does not emit: {missing}"
