"""ocsp-lint --format sarif: the content of the SARIF log, and Microsoft's SARIF validator
(the SARIF Multitool, npm package @microsoft/sarif-multitool) on it.

Two configs are linted, both built on the test PKI of tools/make-test-pki.sh (no responder
is needed: nothing is started):
  "findings"  several vhosts, one of them in an included file whose path has spaces,
              with errors, warnings and notes, and a main-server finding without a line;
  "clean"     one vhost that staples with everything right: no finding at all once OA401
              and OA402 are skipped (they report a cost of either value of their setting,
              so every vhost that mod_ssl staples has them).

The content is checked against ocsp-lint's own JSON findings and against what the
configs are known to contain: ruleId, ruleIndex, level, message, region.startLine,
artifactLocation.uri (a percent-encoded file: URI), and the rules metadata (id, name,
shortDescription, helpUri for each rule, defaultConfiguration.level). The configs live
outside the directory ocsp-lint runs in (its SRCROOT), so their URIs stay absolute file:
URIs here; test_ci.py covers relative ones.

The validator:
  * SARIF_MULTITOOL=/path/to/Sarif.Multitool uses that executable;
  * otherwise tools/install-sarif-validator.sh installs it (npm, about 100 MB, once) into
    OA_SARIF_CACHE, default: BUILD_DIR/sarif-multitool, where BUILD_DIR is the directory
    above the ocsp-lint binary's (/work/build for /work/build/lint/ocsp-lint).
  When it can be neither found nor installed the validator tests are skipped, saying why;
  OA_REQUIRE_SARIF_VALIDATOR=1 makes that a failure.

The validator exits 0 whether or not the log is valid: its findings are read from the
SARIF log it writes (-o). It also reports nothing at all (not even the other errors) for
a log whose result level is not one of SARIF's enum values, so the levels are checked
here directly, and a deliberately broken copy of ocsp-lint's log must make it report
errors (proof that it ran and validated).

Run:  /usr/bin/python3 -m pytest tests/integration/test_sarif.py
"""

import copy
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

import httpd as H
import scenarios as S

INSTALLER = Path(__file__).resolve().parent.parent.parent / "tools" / "install-sarif-validator.sh"
SARIF_LEVELS = {"error", "warning", "note"}        # what ocsp-lint may use (never "none")
SEVERITY_TO_LEVEL = {"error": "error", "warning": "warning", "note": "note"}
VALIDATOR_TIMEOUT = 300


# --------------------------------------------------------------------------- configs

def config_head(root, modules):
    """The first lines of both configs: ServerRoot, the modules, ServerName, the first
    Listen."""
    return f"""\
ServerRoot "{root}"
LoadModule mpm_event_module "{modules}/mod_mpm_event.so"
LoadModule socache_shmcb_module "{modules}/mod_socache_shmcb.so"
LoadModule ssl_module "{modules}/mod_ssl.so"
ServerName main.test
Listen 127.0.0.1:9443
"""


def findings_config(root, pki, modules):
    """The "findings" tree; returns (main.conf, {marker: (file, line)}).

    Each directive that a finding points at carries a "# @marker" comment on the line
    before it, so expectations name markers, not line numbers."""
    root = Path(root)
    sites = root / "sites dir"
    sites.mkdir(parents=True)
    main = root / "main.conf"
    main.write_text(config_head(root, modules) + f"""\
Listen 127.0.0.1:9444
SSLStaplingCache shmcb:{root}/stapling(128000)
# the main server speaks TLS without a certificate: the finding is at SSLEngine
# @mainssl
SSLEngine on

<VirtualHost 127.0.0.1:9443>
    ServerName good.test
    SSLEngine on
    SSLUseStapling on
    # @nochain
    SSLCertificateFile "{pki}/good.pem"
    SSLCertificateKeyFile "{pki}/good.key"
</VirtualHost>

Include "sites dir/*.conf"
""")
    (sites / "more sites.conf").write_text(f"""\
<VirtualHost 127.0.0.1:9444>
    ServerName noocsp.test
    SSLEngine on
    # @noocsp-use
    SSLUseStapling on
    SSLCertificateFile "{pki}/noocsp-fullchain.pem"
    SSLCertificateKeyFile "{pki}/noocsp.key"
</VirtualHost>
<VirtualHost 127.0.0.1:9444>
    ServerName soon.test
    SSLEngine on
    # @off
    SSLUseStapling off
    # @soon
    SSLCertificateFile "{pki}/soon.pem"
    SSLCertificateKeyFile "{pki}/soon.key"
    # @chainfile
    SSLCertificateChainFile "{pki}/int.pem"
</VirtualHost>
""")
    markers = {}
    for f in (main, sites / "more sites.conf"):
        lines = f.read_text().splitlines()
        for i, ln in enumerate(lines):
            m = re.match(r"\s*# @(\S+)", ln)
            if m:
                markers[m.group(1)] = (str(f), i + 2)   # the line after the marker
    return main, markers


# OA401 and OA402 report a cost of either value of SSLStaplingReturnResponderErrors /
# SSLStaplingFakeTryLater for every vhost that mod_ssl staples: the expectations below and
# the "clean" config are taken with them skipped.
SKIP_ALWAYS = ["--skip", "OA401,OA402"]

# (ruleId, level, marker) of every finding the "findings" config must give (with
# SKIP_ALWAYS); marker None would be a finding in main.conf without a region
FINDINGS_EXPECTED = [
    ("OA305", "error", "mainssl"),           # SSLEngine on in the main server, no certificate
    ("OA201", "error", "nochain"),           # good.pem alone: no issuer
    ("OA203", "warning", "noocsp-use"),      # stapling on, no OCSP URL
    ("OA104", "warning", "off"),             # stapling off for a certificate with a URL
    ("OA303", "warning", "soon"),            # expires in 5 days
    ("OA405", "note", "chainfile"),          # SSLCertificateChainFile is deprecated
]


def clean_config(root, pki, modules):
    root = Path(root)
    root.mkdir(parents=True)
    main = root / "main.conf"
    main.write_text(config_head(root, modules) + f"""\
SSLStaplingCache shmcb:{root}/stapling(128000)
<VirtualHost 127.0.0.1:9443>
    ServerName good.test
    SSLEngine on
    SSLUseStapling on
    SSLCertificateFile "{pki}/good-fullchain.pem"
    SSLCertificateKeyFile "{pki}/good.key"
</VirtualHost>
""")
    return main


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def sarif_pki(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    d = tmp_path_factory.mktemp("sarif-pki")
    # the URL is never fetched: nothing here starts httpd
    return S.make_pki(d / "pki", "http://127.0.0.1:9/")


@pytest.fixture(scope="session")
def trees(tmp_path_factory, sarif_pki, lint_bin):
    base = tmp_path_factory.mktemp("sarif-trees")
    modules = H.module_dir()
    main, markers = findings_config(base / "findings", sarif_pki, modules)
    return {"findings": (main, markers), "clean": (clean_config(base / "clean", sarif_pki,
                                                                modules), {})}


def lint(conf, fmt, extra=(), env=None):
    r = H.run_lint(list(extra) + ["--format", fmt, "-d", Path(conf).parent, conf,
                                  "--no-envvars"], env=env)
    assert r.returncode in (0, 1) and isinstance(r.data, dict), (
        f"ocsp-lint failed (exit {r.returncode}): {' '.join(map(str, r.args))}\n{r.stderr}")
    return r


def list_rules():
    r = subprocess.run([H.lint_binary(), "--list-rules"], capture_output=True, text=True,
                       env=H.minimal_env(), timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    rules = []
    for ln in r.stdout.splitlines():
        m = re.match(r"^(OA\d+)\s+(\S+)\s+(error|warning|note)\s+(.*)$", ln)
        assert m, f"unexpected --list-rules line: {ln!r}"
        rules.append(m.groups())
    return rules


def _required():
    return bool(os.environ.get("OA_REQUIRE_SARIF_VALIDATOR"))


def _unavailable(msg):
    if _required():
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def validator(lint_bin):
    """The Sarif.Multitool executable (see the module doc)."""
    given = os.environ.get("SARIF_MULTITOOL")
    if given:
        if not (os.path.isfile(given) and os.access(given, os.X_OK)):
            pytest.fail(f"SARIF_MULTITOOL={given} is not an executable file")
        return given
    cache = os.environ.get("OA_SARIF_CACHE") or str(
        Path(H.lint_binary()).resolve().parent.parent / "sarif-multitool")
    try:
        r = subprocess.run(["sh", str(INSTALLER), cache], capture_output=True, text=True,
                           timeout=900, stdin=subprocess.DEVNULL,
                           env=dict(os.environ))   # npm needs the user's settings (CA, proxy)
    except (OSError, subprocess.TimeoutExpired) as e:
        _unavailable(f"cannot run {INSTALLER}: {e}")
    path = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    if r.returncode != 0 or not os.path.isfile(path):
        _unavailable(f"the SARIF validator could not be installed into {cache} "
                     f"(exit {r.returncode}):\n{r.stderr.strip()}")
    return path


def validate(validator, sarif_path, out_dir):
    """Run `Sarif.Multitool validate`; returns ([(level, ruleId, text, arguments)], stdout)."""
    out = Path(out_dir) / (Path(sarif_path).stem + ".validation.sarif")
    # Error;Warning: the note-level rules are style advice, and one of them (SARIF2006)
    # tries an HTTP GET of the log's $schema URI.
    cmd = [validator, "validate", str(sarif_path), "-o", str(out), "--log", "ForceOverwrite",
           "--level", "Error;Warning"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=VALIDATOR_TIMEOUT,
                       stdin=subprocess.DEVNULL,
                       env=H.minimal_env({"DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"}))
    assert r.returncode == 0 and out.is_file(), (
        f"the validator failed (exit {r.returncode}): {' '.join(cmd)}\n{r.stdout}{r.stderr}")
    log = json.loads(out.read_text(encoding="utf-8-sig"))
    found = []
    for run in log.get("runs") or []:
        for inv in run.get("invocations") or []:
            assert inv.get("executionSuccessful", True), f"validator run failed: {inv}"
        for res in run.get("results") or []:
            msg = res.get("message") or {}
            text = msg.get("text") or f"{msg.get('id')} {msg.get('arguments')}"
            # SARIF's default level is "warning"
            found.append((res.get("level", "warning"), res.get("ruleId"), text,
                          msg.get("arguments") or []))
    return found, r.stdout


# --------------------------------------------------------------------------- content

def _uri_to_path(uri):
    p = urlparse(uri)
    assert p.scheme == "file" and p.netloc == "", uri
    return unquote(p.path)


def _check_common(doc, rules):
    assert doc.get("version") == "2.1.0"
    assert "sarif-2.1.0" in doc.get("$schema", "")
    assert len(doc.get("runs") or []) == 1
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "ocsp-lint"
    assert driver.get("version") and driver.get("semanticVersion") == driver["version"]
    got = [(r["id"], r["name"], r["defaultConfiguration"]["level"], r["shortDescription"]["text"])
           for r in driver["rules"]]
    assert got == [(i, slug, sev, summary) for i, slug, sev, summary in rules], (
        "rules metadata differs from --list-rules")
    base = driver.get("informationUri")
    assert base and urlparse(base).scheme, f"informationUri {base!r} is not an absolute URI"
    for r in driver["rules"]:
        assert r.get("helpUri") == f"{base}{r['id']}.md", r
        assert urlparse(r["helpUri"]).scheme in ("file", "http", "https"), r
        assert r["id"] in r["help"]["text"], r
    return driver


def test_sarif_findings_content(trees):
    conf, markers = trees["findings"]
    rules = list_rules()
    sarif = lint(conf, "sarif")
    findings = lint(conf, "json")
    assert sarif.returncode == 1 and findings.returncode == 1
    doc = sarif.data
    driver = _check_common(doc, rules)
    results = doc["runs"][0]["results"]

    # the same findings as the JSON output, in the same order
    jf = findings.data["findings"]
    assert len(results) == len(jf), (len(results), len(jf))
    for res, f in zip(results, jf):
        assert res["ruleId"] == f["rule"]
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in SARIF_LEVELS and res["level"] == SEVERITY_TO_LEVEL[f["severity"]]
        assert res["message"]["text"].startswith(f["message"]), res
        if f.get("hint"):
            assert f["hint"] in res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == Path(f["file"]).as_uri()
        assert _uri_to_path(loc["artifactLocation"]["uri"]) == f["file"]
        if f["line"]:
            assert loc["region"]["startLine"] == f["line"]
        else:
            assert "region" not in loc, "a region needs a startLine >= 1"
        assert res["properties"]["startupFails"] == f["startup_fails"]

    # what this config is known to hold
    results = lint(conf, "sarif", SKIP_ALWAYS).data["runs"][0]["results"]
    got = []
    for res in results:
        loc = res["locations"][0]["physicalLocation"]
        got.append((res["ruleId"], res["level"], loc["artifactLocation"]["uri"],
                    loc.get("region", {}).get("startLine")))
    expected = []
    for rule, level, marker in FINDINGS_EXPECTED:
        if marker is None:
            expected.append((rule, level, Path(conf).as_uri(), None))
        else:
            f, line = markers[marker]
            expected.append((rule, level, Path(f).as_uri(), line))
    assert sorted(got, key=str) == sorted(expected, key=str), (
        "SARIF results differ:\n got: " + "\n      ".join(map(str, got))
        + "\n want: " + "\n      ".join(map(str, expected)))
    # the included file's path has spaces: percent-encoded in the URI
    assert any("/sites%20dir/more%20sites.conf" in g[2] for g in got)
    assert {g[1] for g in got} == SARIF_LEVELS


def test_sarif_and_verbose_text_carry_the_json_verdicts(trees):
    """One verdict: the SARIF run's properties.vhosts[] and `-v`'s verdict lines say what
    the JSON's vhosts[] says, vhost by vhost."""
    conf, _ = trees["findings"]
    jv = lint(conf, "json").data["vhosts"]
    sv = lint(conf, "sarif").data["runs"][0]["properties"]["vhosts"]
    assert len(jv) == len(sv) > 1, (jv, sv)
    keys = ("level", "state", "reason", "fix", "revocation")
    for j, s in zip(jv, sv):
        assert {k: j[k] for k in keys} == {k: s[k] for k in keys}, (j, s)
        assert (s["file"], s["line"]) == (j["file"], j["line"])
        assert j["name"] in s["name"], s          # the vhost label: name (addresses)
    r = H.run_lint(["-v", "-d", Path(conf).parent, conf, "--no-envvars"])
    said = [ln[len("    verdict: "):] for ln in r.stdout.splitlines()
            if ln.startswith("    verdict: ")]
    assert said == [f"{j['level']}, {j['state']}: {j['reason']}" for j in jv], r.stdout
    assert {j["level"] for j in jv} >= {"warning", "error"}, jv   # something to say


def test_sarif_clean_config(trees):
    conf, _ = trees["clean"]
    r = lint(conf, "sarif", SKIP_ALWAYS + ["--fail-on", "note"])
    assert r.returncode == 0, r.stdout
    _check_common(r.data, list_rules())
    assert r.data["runs"][0]["results"] == []
    j = lint(conf, "json", SKIP_ALWAYS)
    assert j.data["findings"] == []


def test_sarif_docs_uri(trees):
    conf, _ = trees["findings"]
    base = "https://docs.example.test/ocsp-lint/rules/"
    doc = lint(conf, "sarif", ["--docs-uri", base]).data
    driver = _check_common(doc, list_rules())
    assert driver["informationUri"] == base
    assert [r["helpUri"] for r in driver["rules"]] == [base + r["id"] + ".md"
                                                        for r in driver["rules"]]


def test_sarif_default_help_uris_are_public(trees):
    """Without --docs-uri the helpUris are public https URIs (code scanning shows them to
    people who do not have the files): the project's docs/rules pages, one per rule, each
    page present in the source tree. --docs-uri gives another base, file: URIs included."""
    conf, _ = trees["findings"]
    doc = lint(conf, "sarif").data
    driver = doc["runs"][0]["tool"]["driver"]
    base = driver["informationUri"]
    assert urlparse(base).scheme == "https" and base.endswith("/docs/rules/"), base
    pages = Path(__file__).resolve().parent.parent.parent / "docs" / "rules"
    for r in driver["rules"]:
        assert r["helpUri"] == f"{base}{r['id']}.md"
        assert (pages / f"{r['id']}.md").is_file(), r["id"]

    with tempfile.TemporaryDirectory() as d:
        doc = lint(conf, "sarif", ["--docs-uri", Path(d).as_uri() + "/"]).data
        assert doc["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] == \
            Path(d, "OA101.md").as_uri()


# --------------------------------------------------------------------------- validator

@pytest.mark.parametrize("case", ["findings", "clean", "docs-uri"])
def test_sarif_validator_accepts(case, trees, validator, tmp_path):
    conf = trees["clean" if case == "clean" else "findings"][0]
    extra = {"clean": SKIP_ALWAYS,
             "docs-uri": ["--docs-uri", "https://docs.example.test/ocsp-lint/rules/"]}.get(case, [])
    r = lint(conf, "sarif", extra)
    sarif = tmp_path / f"{case}.sarif"
    sarif.write_text(r.stdout)
    found, stdout = validate(validator, sarif, tmp_path)
    errors = [f for f in found if f[0] == "error"]
    assert not errors, "the SARIF validator reports errors:\n" + stdout

    # Warnings: none, except SARIF2017 ("the 'region' property is absent") for the results
    # of findings that have no line (ocsp-lint's line 0, e.g. a finding about the main
    # server as a whole): SARIF allows a location without region.
    results = r.data["runs"][0]["results"]

    def regionless(f):
        m = re.match(r"runs\[0\]\.results\[(\d+)\]\.locations\[0\]\.physicalLocation$",
                     f[3][0] if f[3] else "")
        return (f[1] == "SARIF2017" and m is not None
                and "region" not in results[int(m.group(1))]["locations"][0]["physicalLocation"])

    warnings = [f for f in found if f[0] == "warning" and not regionless(f)]
    assert not warnings, "the SARIF validator reports warnings:\n" + stdout
    tolerated = [f for f in found if f[0] == "warning" and regionless(f)]
    if tolerated:
        print(f"[{case}] tolerated: {len(tolerated)} SARIF2017 warning(s) for results "
              "without a line")


def test_sarif_validator_reports_broken_logs(trees, validator, tmp_path):
    """The validator really validates here: a broken copy of ocsp-lint's log gives errors."""
    conf = trees["findings"][0]
    doc = lint(conf, "sarif").data
    bad = copy.deepcopy(doc)
    res = bad["runs"][0]["results"]
    with_region = next(x for x in res if "region" in x["locations"][0]["physicalLocation"])
    with_region["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    del bad["runs"][0]["tool"]["driver"]["name"]
    del res[0]["message"]
    path = tmp_path / "broken.sarif"
    path.write_text(json.dumps(bad, indent=2))
    found, stdout = validate(validator, path, tmp_path)
    ids = {f[1] for f in found if f[0] == "error"}
    assert {"JSON1008", "JSON1002"} <= ids, f"expected JSON1008 and JSON1002, got:\n{stdout}"


def test_sarif_online_results(trees, validator, tmp_path):
    """--online: a responder that cannot be reached (the PKI's URL is 127.0.0.1:9, where
    nothing listens) is a result of the rule OA-ONLINE (online-responder) at the certificate's
    SSLCertificateFile, after the rule table's rules; the validator accepts the log."""
    conf, _ = trees["clean"]
    r = lint(conf, "sarif", SKIP_ALWAYS + ["--online", "--timeout", "2"])
    assert r.returncode == 1, r.stderr
    run = r.data["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert rules[-1]["id"] == "OA-ONLINE" and rules[-1]["name"] == "online-responder"
    assert "helpUri" not in rules[-1]
    assert len(rules) == len(list_rules()) + 1
    assert [res["ruleId"] for res in run["results"]] == ["OA-ONLINE"]
    res = run["results"][0]
    assert res["ruleIndex"] == len(rules) - 1 and res["level"] == "error"
    assert res["message"]["text"].startswith("responder http://127.0.0.1:9/ for ")
    lines = Path(conf).read_text().splitlines()
    cert_line = next(i + 1 for i, ln in enumerate(lines) if "SSLCertificateFile" in ln)
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == Path(conf).as_uri()
    assert loc["region"]["startLine"] == cert_line
    path = tmp_path / "online.sarif"
    path.write_text(r.stdout)
    found, out = validate(validator, path, tmp_path)
    assert [f for f in found if f[0] in ("error", "warning")] == [], out
