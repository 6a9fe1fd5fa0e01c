"""ocsp-lint's stapling predictions against what real httpd (Debian's apache2) does.

For every scenario of scenarios.py (one test id each): write the config into a temporary
directory with free 127.0.0.1 ports, run `ocsp-lint --format json -d ROOT ROOT/main.conf
--no-envvars` and read `startup` and `vhosts[].stapling`; then start apache2
(httpd.HttpdInstance) against the one OCSP responder of the session (`openssl ocsp` on
the test PKI of tools/make-test-pki.sh) and look:

  * ocsp-lint says startup "fails": apache2 must not start, and its stderr or logs must
    name the cause (the scenario's startup_log);
  * otherwise, for each SSL vhost, `openssl s_client -connect 127.0.0.1:PORT -servername
    NAME -status` twice (stdin closed, with a timeout), mapped to active / off / broken /
    fatal as scenarios.classify() documents, and ocsp-lint's prediction must equal it.
    The first handshake must already show what the second shows (mod_ssl fetches the
    response synchronously, inside the first handshake), and a handshake without
    -status must succeed (fatal means: only handshakes that ask for a staple fail).

Then what httpd did is compared with what the scenario records (scenarios.Scenario.httpd),
the stapled Cert Status, the rule IDs ocsp-lint must report, and the log lines that show
why. Nothing is ever xfail: a disagreement is a bug in ocsp-lint's model (or a changed
httpd).

Each test prints a one-line summary (`pytest -rA` shows them).

Run:  /usr/bin/python3 -m pytest tests/integration/test_predictions_vs_httpd.py -rA
Environment: HTTPD, APXS, OCSP_LINT (see httpd.py); needs openssl. As root (as here),
apache2's children run as www-data.
"""

import re
import shutil
import time
from pathlib import Path

import pytest

import httpd as H
import scenarios as S

HANDSHAKES = 2


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def stapling_pki(tmp_path_factory):
    """The PKI of tools/make-test-pki.sh, its OCSP URL on a free 127.0.0.1 port. Only
    httpd's parent (and openssl) read it: it may live below pytest's 0700 base directory."""
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    d = tmp_path_factory.mktemp("stapling-pki")
    port = H.free_port()
    S.make_pki(d / "pki", f"http://127.0.0.1:{port}/")
    return {"dir": d / "pki", "port": port, "base": d}


@pytest.fixture(scope="session")
def ocsp_responder(stapling_pki):
    """One `openssl ocsp` responder for the session; always stopped at the end."""
    r = S.Responder(stapling_pki["dir"], stapling_pki["port"], stapling_pki["base"] / "ocsp.log")
    try:
        r.start()
        yield r
    finally:
        r.stop()


@pytest.fixture
def responder(ocsp_responder):
    """The session's responder, answering (restarted when it does not)."""
    ocsp_responder.ensure()
    yield ocsp_responder


# --------------------------------------------------------------------------- helpers

def lint_predictions(root, conf):
    # --require-files: httpd runs here with the same files, a missing one fails it too
    r = H.run_lint(["--format", "json", "-d", root, conf, "--no-envvars", "--require-files"])
    assert r.returncode in (0, 1) and isinstance(r.data, dict), (
        f"ocsp-lint failed (exit {r.returncode}): {' '.join(map(str, r.args))}\n"
        f"stderr:\n{r.stderr}\nstdout:\n{r.stdout[:4000]}")
    return r.data


def lint_vhost(doc, vh):
    """ocsp-lint's entry for a scenario vhost (the main server for vh.main)."""
    for v in doc.get("vhosts") or []:
        if vh.main and v.get("main_server"):
            return v
        if not vh.main and not v.get("main_server") and v.get("name") == vh.name:
            return v
    return None


def all_logs(inst, root):
    """httpd's stderr, its main ErrorLog and every vhost's ErrorLog."""
    parts = [("stderr", inst.stderr_text()), (str(inst.error_log), inst.error_log_text())]
    for p in sorted((Path(root) / "logs").glob("*.log")):
        parts.append((str(p), S.read(p)))
    return "\n".join(f"--- {name}:\n{text}" for name, text in parts if text)


def wait_for_log(inst, root, pattern, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        if re.search(pattern, all_logs(inst, root)):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def tail(text, n=60):
    lines = text.splitlines()
    return "\n".join(lines[-n:])


def observe(inst, root, sc, ports):
    """What a client sees on each SSL vhost of a running httpd."""
    seen = {}
    for vh in sc.vhosts:
        port = ports[vh.port]
        shakes = [S.s_client(port, vh.name) for _ in range(HANDSHAKES)]
        plain = S.s_client(port, vh.name, status=False)
        log = S.read(S.vhost_log(root, vh, inst.error_log))
        callback = "AH01951: stapling_cb: OCSP Stapling callback called" in log
        states = [S.classify(h, callback) for h in shakes]
        seen[vh.name] = {"state": states[-1][0], "why": states[-1][1],
                         "states": [s[0] for s in states], "shakes": shakes,
                         "cert_status": shakes[-1]["cert_status"], "plain": plain}
    return seen


def explain(sc, conf, doc, seen=None, logs=""):
    """Everything needed to reproduce a disagreement."""
    out = [f"scenario {sc.id}: {sc.about}", f"--- config {conf}:", Path(conf).read_text()]
    out.append(f"--- ocsp-lint: startup {doc.get('startup')!r} ({doc.get('startup_reason')})")
    for vh in sc.vhosts:
        lv = lint_vhost(doc, vh) or {}
        out.append(f"  {vh.name}: {lv.get('stapling')!r} ({lv.get('stapling_reason')})")
    out.append("  findings: " + ", ".join(f"{f['rule']}@{f['line']}"
                                         for f in doc.get("findings") or []))
    if seen is not None:
        out.append("--- httpd:")
        for name, s in seen.items():
            out.append(f"  {name}: {s['state']} ({s['why']}); handshakes {s['states']}")
            for i, h in enumerate(s["shakes"], 1):
                out.append(f"    s_client -status #{i} (exit {h['rc']}):\n"
                           + "\n".join("      " + ln for ln in S.excerpt(h["output"]).splitlines()))
    if logs:
        out.append("--- httpd logs (tail):\n" + tail(logs))
    return "\n".join(out)


# --------------------------------------------------------------------------- the test

@pytest.mark.needs_lint
@pytest.mark.parametrize("sc", S.SCENARIOS, ids=[s.id for s in S.SCENARIOS])
def test_prediction_matches_httpd(sc, lint_bin, httpd_bin, modules_dir, workdir, responder,
                                  stapling_pki):
    ports = {p: H.free_port() for p in sc.ports()}
    root = workdir / "conf"
    conf = S.render(sc, root, ports, stapling_pki["dir"], responder.port, modules_dir)
    doc = lint_predictions(root, conf)

    # what ocsp-lint must have found, whatever httpd does
    rules = {f["rule"] for f in doc.get("findings") or []}
    missing = [r for r in sc.lint_rules if r not in rules]
    assert not missing, f"ocsp-lint did not report {missing}\n" + explain(sc, conf, doc)

    inst = H.HttpdInstance(root, conf, workdir / "httpd", ports=list(ports.values()))
    try:
        try:
            inst.start()
            started = True
        except H.HttpdStartError:
            started = False
        logs = all_logs(inst, root)

        if doc.get("startup") == "fails" or not started:
            real = "ok" if started else "fails"
            print(f"\n[{sc.id}] ocsp-lint startup={doc.get('startup')} httpd startup={real}")
            assert doc.get("startup") == real, (
                f"ocsp-lint predicts startup {doc.get('startup')!r}, httpd: {real}\n"
                + explain(sc, conf, doc, logs=logs))
            assert real == sc.startup, (f"httpd startup {real!r}, recorded {sc.startup!r}\n"
                                        + explain(sc, conf, doc, logs=logs))
            if sc.startup_log:
                assert re.search(sc.startup_log, logs), (
                    f"httpd's output does not name the cause /{sc.startup_log}/\n{logs}")
            # the cause is among the findings ocsp-lint marks as stopping httpd
            fatal = {f["rule"] for f in doc.get("findings") or [] if f.get("startup_fails")}
            assert not sc.lint_rules or sc.lint_rules[0] in fatal, (
                f"ocsp-lint does not mark {sc.lint_rules[0]} as stopping httpd (marked: "
                f"{sorted(fatal)}); startup_reason {doc.get('startup_reason')!r}")
            print(f"[{sc.id}] startup_reason: {doc.get('startup_reason')}")
            return

        assert doc.get("startup") == "ok" and sc.startup == "ok"
        seen = observe(inst, root, sc, ports)
        for pattern in sc.logs:
            wait_for_log(inst, root, pattern)
        logs = all_logs(inst, root)
    finally:
        inst.stop()
        if sc.disturbs_responder:
            responder.restart()

    predicted = {vh.name: (lint_vhost(doc, vh) or {}).get("stapling") for vh in sc.vhosts}
    real = {name: s["state"] for name, s in seen.items()}
    print(f"\n[{sc.id}] ocsp-lint {predicted} httpd {real} "
          f"handshakes {({n: s['states'] for n, s in seen.items()})}")

    # 1. the prediction is what httpd does
    wrong = {n: (predicted[n], real[n]) for n in real if predicted[n] != real[n]}
    assert not wrong, ("ocsp-lint's prediction differs from httpd (vhost: (predicted, real)): "
                       f"{wrong}\n" + explain(sc, conf, doc, seen, logs))

    # 2. httpd did what the scenario records (a broken harness shows here)
    assert real == sc.httpd, (f"httpd did {real}, scenarios.py records {sc.httpd}\n"
                              + explain(sc, conf, doc, seen, logs))

    # 3. the first handshake already had the staple (synchronous fetch); plain handshakes work
    for name, s in seen.items():
        assert len(set(s["states"])) == 1, (f"{name}: handshakes differ: {s['states']}\n"
                                             + explain(sc, conf, doc, seen, logs))
        assert s["plain"]["handshake"], (
            f"{name}: a handshake without -status fails too:\n{S.excerpt(s['plain']['output'])}")
    for name, status in sc.cert_status.items():
        assert seen[name]["cert_status"] == status, (
            f"{name}: stapled Cert Status {seen[name]['cert_status']!r}, expected {status!r}")

    # 4. the logs say why
    for pattern in sc.logs:
        assert re.search(pattern, logs), f"httpd's logs lack /{pattern}/\n{tail(logs)}"


def test_scenarios_cover_every_state():
    """The scenario list keeps at least 15 cases and covers every state and both startups."""
    assert len(S.SCENARIOS) >= 15
    assert len({s.id for s in S.SCENARIOS}) == len(S.SCENARIOS)
    states = {st for s in S.SCENARIOS for st in s.httpd.values()}
    assert states == {S.ACTIVE, S.OFF, S.BROKEN, S.FATAL}
    assert {s.startup for s in S.SCENARIOS} == {"ok", "fails"}
    for s in S.SCENARIOS:
        assert (s.startup == "fails") == (not s.httpd), s.id
        assert s.startup == "fails" or set(s.httpd) == {v.name for v in s.vhosts}, s.id
