"""A fleet on Prometheus: four nodes serve www.test, a real Prometheus scrapes them with
the shipped rules (contrib/prometheus/ocsp-audit.rules.yml, its `for:` durations cut to
2 s for the test), and exactly the expected alerts fire, for exactly the expected nodes;
then the broken node is fixed and its alerts resolve.

  node1  httpd + mod_ocsp_audit, staples                        -> no alert
  node2  httpd + mod_ocsp_audit, the chain went stale in a
         "renewal" (the leaf alone)                             -> OcspStaplingStopped,
                                                                   OcspStaplingFleetDrift
  node3  httpd + mod_ocsp_audit, its responder a black hole     -> OcspResponderDown,
                                                                   OcspStaplingStopped,
                                                                   OcspStaplingFleetDrift
  node4  httpd without the module, behind `ocsp-lint serve`     -> no alert

Run:  /usr/bin/python3 -m pytest tests/integration/test_fleet.py
"""

import json
import re
import urllib.parse

import pytest

import httpd as H
import status_helpers as S
from test_serve import Process, _get
from test_probe_terminal import _cluster_conf

TOP = S.HERE.parent.parent
NAME = "www.test"


# every helper process a test starts is stopped by it (conftest.helpers_stopped)
pytestmark = pytest.mark.usefixtures("helpers_stopped")


def _fast_rules(dest):
    """The shipped rules with every `for:` at 2 s."""
    text = (TOP / "contrib" / "prometheus" / "ocsp-audit.rules.yml").read_text()
    dest.write_text(re.sub(r"(\n\s+for:) \S+", r"\1 2s", text))
    return dest


def _alerts(port):
    status, text = _get(f"http://127.0.0.1:{port}/api/v1/alerts", timeout=10)
    if status != 200:
        return None
    return {(a["labels"]["alertname"], a["labels"]["node"])
            for a in json.loads(text)["data"]["alerts"] if a["state"] == "firing"}


def test_fleet_alerts(httpd_bin, lint_bin, workdir):
    prometheus = S.require_binary("prometheus", "prometheus", "PROMETHEUS")
    S.require_module()
    rport, hole = H.free_port(), H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    dead = S.make_pki(workdir / "pki-dead", f"http://127.0.0.1:{hole}/")
    common = dict(interval=5, probe_timeout=2, stapling_timeout=2, responder_interval=10)
    sites = [
        S.Site(workdir / "node1", [S.Vhost(NAME, pki.cert("good"), pki.key("good"))],
               H.free_port(), H.free_port(), **common),
        S.Site(workdir / "node2", [S.Vhost(NAME, pki.cert("good", chain=False),
                                           pki.key("good"))],
               H.free_port(), H.free_port(), **common),
        S.Site(workdir / "node3", [S.Vhost(NAME, dead.cert("good"), dead.key("good"))],
               H.free_port(), H.free_port(), **common),
    ]
    for s in sites:
        s.write()
    n4port = H.free_port()
    n4conf = _cluster_conf(workdir / "node4", pki, [n4port])
    # _cluster_conf turns stapling off on its last port: node4 has one port and staples
    n4conf.write_text(n4conf.read_text().replace("SSLUseStapling off", "SSLUseStapling on"))
    sport, pport = H.free_port(), H.free_port()
    serve = Process([lint_bin, "serve", "--listen", f"127.0.0.1:{sport}", "--cache", "1"],
                    workdir / "serve.log", sport)
    rules = _fast_rules(workdir / "rules.yml")
    nodes = [{"targets": [f"127.0.0.1:{s.http_port}"], "labels": {"node": f"node{i + 1}"}}
             for i, s in enumerate(sites)]
    config = workdir / "prometheus.yml"
    config.write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [
            {"job_name": "ocsp-nodes", "metrics_path": "/ocsp-status",
             "params": {"prometheus": [""]}, "static_configs": nodes},
            {"job_name": "ocsp-edge", "metrics_path": "/probe", "params": {"sni": [NAME]},
             "static_configs": [{"targets": [f"127.0.0.1:{n4port}"],
                                 "labels": {"node": "node4"}}],
             "relabel_configs": [
                 {"source_labels": ["__address__"], "target_label": "__param_target"},
                 {"source_labels": ["__param_target"], "target_label": "instance"},
                 {"target_label": "__address__", "replacement": f"127.0.0.1:{sport}"}]}]}))
    prom = Process([prometheus, f"--config.file={config}",
                    f"--storage.tsdb.path={workdir / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{pport}"],
                   workdir / "prometheus.log", pport, cwd=str(workdir))
    expected = {("OcspStaplingStopped", "node2"), ("OcspStaplingFleetDrift", "node2"),
                ("OcspResponderDown", "node3"), ("OcspStaplingStopped", "node3"),
                ("OcspStaplingFleetDrift", "node3")}
    insts = [s.instance(workdir / f"run{i + 1}") for i, s in enumerate(sites)]
    n4 = H.HttpdInstance(workdir / "node4", n4conf, workdir / "run4", ports=[n4port])
    with S.Responder(pki, rport, nmin=600), S.BlackHole(hole), serve, n4, \
            insts[0], insts[1], insts[2], prom:
        S.wait_for(lambda: (_alerts(pport) or set()) >= expected, 90, 1)
        firing = _alerts(pport)
        logs = "\n".join(i.error_log_text()[-1500:] for i in insts)
        assert firing == expected, (
            f"firing {sorted(firing or [])}\nexpected {sorted(expected)}\n"
            f"{open(workdir / 'prometheus.log', errors='replace').read()[-2000:]}\n{logs}")
        # the renewal is fixed: the full chain again, and a graceful restart
        sites[1].vhosts[0].cert = pki.cert("good")
        sites[1].write()
        r = S.graceful(insts[1])
        assert r.returncode == 0, r.stdout + r.stderr
        left = {a for a in expected if a[1] != "node2"}
        resolved = S.wait_for(lambda: _alerts(pport) == left, 90, 1)
        firing = _alerts(pport)
    assert resolved, f"after the fix: firing {sorted(firing or [])}, expected {sorted(left)}"
