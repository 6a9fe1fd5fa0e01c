"""`ocsp-lint serve`: the exporter for servers without the module, against a real apache2
(as "any TLS server"), a real OCSP responder and a real Prometheus.

  test_probe_metrics            /probe gives the status page's metrics for the target:
                                the same verdict as the module's page for that vhost;
                                promtool finds nothing to say; a bad target is a 400; a
                                closed port is probe_success 0 and unreachable
  test_cache_and_single_flight  a second scrape within --cache is the kept answer; ten
                                scrapes at once make one probe (/metrics counts them)
  test_prometheus_scrapes_it    a real Prometheus scrapes it the blackbox way (relabelled
                                targets); its HTTP API has every target's verdict

Run:  /usr/bin/python3 -m pytest tests/integration/test_serve.py
"""

import json
import os
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request

import pytest

import httpd as H
import status_helpers as S


# every helper process a test starts is stopped by it (conftest.helpers_stopped)
pytestmark = pytest.mark.usefixtures("helpers_stopped")


class Process(S.F.Managed):
    """A command in a process group of its own, stopped by its PID."""

    def __init__(self, args, log, port, env=None, cwd=None):
        self.args, self.log, self.port = args, log, port
        self.env, self.cwd = env, cwd
        self.proc = None

    def start(self, timeout=30):
        with open(self.log, "wb") as f:
            self.proc = subprocess.Popen(self.args, stdout=f, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True,
                                         env=self.env or H.minimal_env(), cwd=self.cwd)
        S.F.register(self)
        ok = S.wait_for(lambda: self.proc.poll() is not None
                        or S.port_listening(self.port, self.proc.pid), timeout, 0.1)
        if not ok or self.proc.poll() is not None:
            out = open(self.log, errors="replace").read()
            self.stop()
            raise H.HarnessError(f"{self.args[0]} did not start:\n{out[-3000:]}")
        return self

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                H.stop_process_group(proc, 15, self.args[0])
            finally:
                S.F.unregister(self)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


def _get(url, timeout=60):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _site(workdir):
    rport = H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    vhosts = [S.Vhost("good.test", pki.cert("good"), pki.key("good")),
              S.Vhost("noocsp.test", pki.cert("noocsp"), pki.key("noocsp"), stapling=False)]
    site = S.Site(workdir / "site", vhosts, H.free_port(), H.free_port()).write()
    site.check()
    return pki, rport, site


def _serve(lint_bin, workdir, *extra):
    port = H.free_port()
    return Process([lint_bin, "serve", "--listen", f"127.0.0.1:{port}", *extra],
                   workdir / f"serve-{port}.log", port), port


def _probe_url(port, target, sni):
    return (f"http://127.0.0.1:{port}/probe?"
            + urllib.parse.urlencode({"target": target, "sni": sni}))


def test_probe_metrics(httpd_bin, lint_bin, workdir):
    pki, rport, site = _site(workdir)
    serve, sport = _serve(lint_bin, workdir)
    target = f"127.0.0.1:{site.https_port}"
    with S.Responder(pki, rport), site.instance(workdir / "run"), serve:
        page = {v["name"]: v for v in S.wait_first_round(site.http_port)["vhosts"]}
        got = {}
        for name in ("good.test", "noocsp.test"):
            status, text = _get(_probe_url(sport, target, name))
            assert status == 200, text
            got[name] = text
        closed = _get(_probe_url(sport, f"127.0.0.1:{H.free_port()}", "x.test"))
        bad = _get(f"http://127.0.0.1:{sport}/probe?target=[::1")
        missing = _get(f"http://127.0.0.1:{sport}/probe")
    problems = []
    for name, text in got.items():
        prom = S.parse_prometheus(text)
        v = S.prom_value(prom, "ocsp_audit_vhost_verdict", vhost=name, address=target)
        verdicts = [ls for n, ls, _ in prom["samples"] if n == "ocsp_audit_vhost_verdict"]
        if v != 1.0 or len(verdicts) != 1:
            problems.append(f"{name}: verdicts {verdicts}")
            continue
        if name == "good.test":
            # a live probe and the module's page see the same staple
            if (verdicts[0]["level"], verdicts[0]["state"]) != (page[name]["level"],
                                                                page[name]["state"]):
                problems.append(f"{name}: serve {verdicts[0]}, page {page[name]['level']}/"
                                f"{page[name]['state']}")
            if S.prom_value(prom, "ssl_ocsp_response_stapled", vhost=name) != 1.0:
                problems.append(f"{name}: not stapled")
            if S.prom_value(prom, "ocsp_audit_responder_up", vhost=name,
                            url=pki.url) != 1.0:
                problems.append(f"{name}: responder not up")
        if S.prom_value(prom, "ocsp_audit_probe_success") != 1.0:
            problems.append(f"{name}: probe_success")
        if S.prom_value(prom, "ocsp_audit_probe_cached") != 0.0:
            problems.append(f"{name}: the first answer is a cached one")
    promtool, why = S.ensure_binary("promtool", "prometheus", "PROMTOOL")
    if promtool:
        rc, lines = S.promtool_check(promtool, got["good.test"])
        if rc != 0 or lines:
            problems.append(f"promtool: {rc} {lines}")
    cprom = S.parse_prometheus(closed[1])
    if closed[0] != 200 or S.prom_value(cprom, "ocsp_audit_probe_success") != 0.0:
        problems.append(f"a closed port: HTTP {closed[0]} {closed[1][:300]}")
    elif not any(n == "ocsp_audit_vhost_verdict" and ls["state"] == "unreachable"
                 for n, ls, _ in cprom["samples"]):
        problems.append("a closed port is not unreachable")
    if bad[0] != 400 or missing[0] != 400:
        problems.append(f"bad target: HTTP {bad[0]} {bad[1]!r}; no target: HTTP {missing[0]}")
    assert not problems, "\n".join(problems)


def test_cache_and_single_flight(httpd_bin, lint_bin, workdir):
    pki, rport, site = _site(workdir)
    serve, sport = _serve(lint_bin, workdir, "--cache", "30")
    url = _probe_url(sport, f"127.0.0.1:{site.https_port}", "good.test")
    with S.Responder(pki, rport), site.instance(workdir / "run"), serve:
        results = []

        def scrape():
            results.append(_get(url))

        threads = [threading.Thread(target=scrape) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        again = _get(url)
        metrics = S.parse_prometheus(_get(f"http://127.0.0.1:{sport}/metrics")[1])
    assert [r[0] for r in results] == [200] * 10, results
    cached = [S.prom_value(S.parse_prometheus(t), "ocsp_audit_probe_cached") for _, t in results]
    assert sorted(cached) == [0.0] + [1.0] * 9, cached
    assert S.prom_value(S.parse_prometheus(again[1]), "ocsp_audit_probe_cached") == 1.0
    assert S.prom_value(metrics, "ocsp_audit_exporter_probes_total") == 1.0, metrics
    assert S.prom_value(metrics, "ocsp_audit_exporter_cache_hits_total") == 10.0, metrics


def test_prometheus_scrapes_it(httpd_bin, lint_bin, workdir):
    prometheus = S.require_binary("prometheus", "prometheus", "PROMETHEUS")
    pki, rport, site = _site(workdir)
    serve, sport = _serve(lint_bin, workdir, "--cache", "1")
    pport = H.free_port()
    targets = [f"127.0.0.1:{site.https_port}"]
    config = workdir / "prometheus.yml"
    config.write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{
            "job_name": "ocsp",
            "metrics_path": "/probe",
            "params": {"sni": ["good.test"]},
            "static_configs": [{"targets": targets}],
            "relabel_configs": [
                {"source_labels": ["__address__"], "target_label": "__param_target"},
                {"source_labels": ["__param_target"], "target_label": "instance"},
                {"target_label": "__address__", "replacement": f"127.0.0.1:{sport}"}],
        }]}))
    prom = Process([prometheus, f"--config.file={config}",
                    f"--storage.tsdb.path={workdir / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{pport}"],
                   workdir / "prometheus.log", pport, cwd=str(workdir))
    with S.Responder(pki, rport), site.instance(workdir / "run"), serve, prom:
        q = (f"http://127.0.0.1:{pport}/api/v1/query?"
             + urllib.parse.urlencode({"query": "ocsp_audit_vhost_verdict"}))

        def scraped():
            status, text = _get(q, timeout=10)
            if status != 200:
                return None
            res = json.loads(text)["data"]["result"]
            return res or None

        res = S.wait_for(scraped, 60, 0.5)
        log = open(workdir / "prometheus.log", errors="replace").read()
    assert res, f"Prometheus has no ocsp_audit_vhost_verdict after 60 s:\n{log[-3000:]}"
    assert len(res) == 1, res
    m = res[0]["metric"]
    assert (m["vhost"], m["state"], m["level"], m["instance"]) == \
        ("good.test", "stapled", "good", targets[0]), m
