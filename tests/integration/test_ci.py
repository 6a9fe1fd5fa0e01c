"""ocsp-lint in CI: a configuration repository as admins keep one, without private keys.

The server ("in place"): Debian's /etc/apache2 (copied from this machine, with mod_ssl
enabled and three SSL sites in sites-available/, enabled by sites-enabled/ symlinks) and
/etc/letsencrypt/live/*/ holding certificates and private keys, all below a temporary
directory SERVER. The site files name the server's paths (/etc/letsencrypt/live/...).

The repository (REPO): SERVER/etc/apache2 as conf/ and SERVER/etc/letsencrypt as certs/,
without the private keys.

The sites:
  a.test  a full chain and its key, stapling on: no finding but OA401/OA402 notes
  b.test  a leaf alone (no issuer anywhere), stapling on: OA201 error
  c.test  a full chain and the key of another certificate: OA304 error, which only the
          server (with the keys) can see; in the repository it is a skipped check

Linted:
  in place    --path-map /etc/apache2=SERVER/etc/apache2 --path-map /etc/letsencrypt=...
              (the server's paths, with every file there), as root
  repository  --path-map /etc/apache2=conf --path-map /etc/letsencrypt=certs, from REPO,
              as root and as nobody
  in place as nobody: the keys (0600, root's) are unreadable: skipped, not failed

The findings of the repository are those in place minus the rules that the skipped
checks name; the skipped checks are the three SSLCertificateKeyFile lines.
Also here: SARIF (relative URIs, symlink targets, notifications, the validator), exit 3
documents, baselines, the GitLab report, and the three CI jobs of docs/ci/ run as their
YAML says on REPO.

Run:  /usr/bin/python3 -m pytest tests/integration/test_ci.py
"""

import json
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import httpd as H
import schemas
import scenarios as S
from test_sarif import validate, validator  # noqa: F401 (validator is a fixture)

TOP = Path(__file__).resolve().parent.parent.parent
MAPS_REPO = ["--path-map", "/etc/apache2=conf", "--path-map", "/etc/letsencrypt=certs"]
MAIN = "/etc/apache2/apache2.conf"

SITE = """\
<VirtualHost *:443>
    ServerName {name}
    SSLEngine on
    SSLUseStapling {stapling}
    SSLCertificateFile /etc/letsencrypt/live/{name}/{cert}
    SSLCertificateKeyFile /etc/letsencrypt/live/{name}/privkey.pem
</VirtualHost>
"""
# (name, stapling, certificate file name, from the PKI: certificate, key)
SITES = [
    ("a.test", "on", "fullchain.pem", "good-fullchain.pem", "good.key"),
    ("b.test", "on", "cert.pem", "other.pem", "other.key"),
    ("c.test", "on", "fullchain.pem", "good-fullchain.pem", "other.key"),
]
KEY_LINE = 6          # SSLCertificateKeyFile in SITE
CERT_LINE = 5


def _nobody():
    if os.geteuid() != 0:
        return None
    setpriv = shutil.which("setpriv")
    try:
        nb = pwd.getpwnam("nobody")
    except KeyError:
        return None
    if not setpriv:
        return None
    return [setpriv, f"--reuid={nb.pw_uid}", f"--regid={nb.pw_gid}", "--clear-groups"]


@pytest.fixture(scope="module")
def ci_pki(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    d = Path(tempfile.mkdtemp(prefix="oa-ci-pki-"))
    d.chmod(0o755)
    try:
        yield S.make_pki(d / "pki", "http://127.0.0.1:9/")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def make_server(base, pki):
    """SERVER/etc/apache2 (Debian's, mod_ssl and the sites enabled), SERVER/etc/letsencrypt."""
    if not os.path.isfile(os.path.join(H.DEBIAN_CONFDIR, "apache2.conf")):
        pytest.skip(f"{H.DEBIAN_CONFDIR}/apache2.conf not found")
    server = base / "server"
    etc = server / "etc" / "apache2"
    shutil.copytree(H.DEBIAN_CONFDIR, etc, symlinks=True)
    for m in ("ssl.load", "ssl.conf", "socache_shmcb.load"):
        link = etc / "mods-enabled" / m
        if not link.exists():
            link.symlink_to(f"../mods-available/{m}")
    (etc / "conf-available" / "stapling.conf").write_text(
        "SSLStaplingCache shmcb:${APACHE_RUN_DIR}/ssl_stapling(128000)\n")
    (etc / "conf-enabled" / "stapling.conf").symlink_to("../conf-available/stapling.conf")
    le = server / "etc" / "letsencrypt" / "live"
    for name, stapling, cert, src_cert, src_key in SITES:
        (etc / "sites-available" / f"{name}.conf").write_text(
            SITE.format(name=name, stapling=stapling, cert=cert))
        (etc / "sites-enabled" / f"{name}.conf").symlink_to(f"../sites-available/{name}.conf")
        d = le / name
        d.mkdir(parents=True)
        shutil.copy(pki / src_cert, d / cert)
        shutil.copy(pki / src_key, d / "privkey.pem")
        (d / cert).chmod(0o644)
        (d / "privkey.pem").chmod(0o600)
    for p in [server] + [q for q in server.rglob("*") if q.is_dir() and not q.is_symlink()]:
        p.chmod(0o755)
    return server


def make_repo(base, server):
    """The repository: conf/ and certs/ without private keys, as a git checkout has them."""
    repo = base / "repo"
    repo.mkdir()
    shutil.copytree(server / "etc" / "apache2", repo / "conf", symlinks=True)
    shutil.copytree(server / "etc" / "letsencrypt", repo / "certs", symlinks=True,
                    ignore=shutil.ignore_patterns("privkey*.pem"))
    for p in [base, repo] + [q for q in repo.rglob("*") if q.is_dir() and not q.is_symlink()]:
        p.chmod(0o755)
    return repo


@pytest.fixture(scope="module")
def layout(ci_pki, lint_bin):
    base = Path(tempfile.mkdtemp(prefix="oa-ci-"))
    base.chmod(0o755)
    try:
        server = make_server(base, ci_pki)
        repo = make_repo(base, server)
        yield {"base": base, "server": server, "repo": repo}
    finally:
        if not os.environ.get("OA_KEEP_TMP"):
            shutil.rmtree(base, ignore_errors=True)


def maps_in_place(server):
    return ["--path-map", f"/etc/apache2={server}/etc/apache2",
            "--path-map", f"/etc/letsencrypt={server}/etc/letsencrypt"]


def lint(args, cwd=None, prefix=None, env=None):
    cmd = (prefix or []) + [H.lint_binary()] + [str(a) for a in args]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=120,
                       env=H.minimal_env(env), stdin=subprocess.DEVNULL)
    schemas.check(args, r.stdout)
    return r


def lint_json(args, cwd=None, prefix=None):
    r = lint(list(args) + ["--format", "json"], cwd=cwd, prefix=prefix)
    assert r.returncode in (0, 1), f"exit {r.returncode}: {r.stderr}"
    return r.returncode, json.loads(r.stdout)


def rel_findings(doc, root):
    """(rule, severity, file relative to root, line) of each finding."""
    out = set()
    for f in doc["findings"]:
        out.add((f["rule"], f["severity"], os.path.relpath(f["file"], root), f["line"]))
    return out


def rel_skipped(doc, root):
    return sorted((s["directive"], os.path.relpath(s["file"], root), s["line"], s["reason"],
                   tuple(s["rules"])) for s in doc["skipped"])


EXPECTED_SKIPPED_REPO = sorted(
    ("SSLCertificateKeyFile", f"sites-enabled/{name}.conf", KEY_LINE, "missing",
     ("OA304", "OA305")) for name, *_ in SITES)


def test_in_place_sees_everything(layout):
    server = layout["server"]
    rc, doc = lint_json(maps_in_place(server) + ["-f", MAIN])
    etc = server / "etc" / "apache2"
    got = rel_findings(doc, etc)
    assert ("OA201", "error", "sites-enabled/b.test.conf", CERT_LINE) in got
    assert ("OA304", "error", "sites-enabled/c.test.conf", KEY_LINE) in got
    assert doc["skipped"] == [] and doc["summary"]["skipped"] == 0
    assert doc["startup"] == "fails" and "[OA304]" in doc["startup_reason"]
    assert rc == 1


@pytest.mark.parametrize("who", ["root", "nobody"])
def test_repository_equals_in_place_minus_skipped(layout, who):
    prefix = None
    if who == "nobody":
        prefix = _nobody()
        if not prefix:
            pytest.skip("needs root, setpriv and a 'nobody' user")
    server, repo = layout["server"], layout["repo"]
    _, place = lint_json(maps_in_place(server) + ["-f", MAIN])
    rc, ci = lint_json(MAPS_REPO + ["-f", MAIN], cwd=repo, prefix=prefix)

    assert ci["config"] == str(repo / "conf" / "apache2.conf")
    assert ci["server_root"] == str(repo / "conf")
    assert rel_skipped(ci, repo / "conf") == EXPECTED_SKIPPED_REPO
    assert ci["summary"]["skipped"] == 3
    skipped_rules = {r for s in ci["skipped"] for r in s["rules"]}
    want = {f for f in rel_findings(place, server / "etc" / "apache2")
            if f[0] not in skipped_rules}
    assert rel_findings(ci, repo / "conf") == want
    assert ("OA304", "error", "sites-enabled/c.test.conf", KEY_LINE) not in want
    # nothing says httpd fails, but the keys were not read: unknown, not ok
    assert ci["startup"] == "unknown", ci["startup_reason"]
    assert "privkey.pem is missing here" in ci["startup_reason"]
    stapling = {v["name"]: v["stapling"] for v in ci["vhosts"]}
    assert stapling == {"a.test": "active", "b.test": "broken", "c.test": "active"}
    assert rc == 1   # OA201 is an error


def test_in_place_as_nobody_skips_unreadable_keys(layout):
    prefix = _nobody()
    if not prefix:
        pytest.skip("needs root, setpriv and a 'nobody' user")
    server = layout["server"]
    _, root_doc = lint_json(maps_in_place(server) + ["-f", MAIN])
    _, doc = lint_json(maps_in_place(server) + ["-f", MAIN], prefix=prefix)
    etc = server / "etc" / "apache2"
    assert rel_skipped(doc, etc) == [(d, f, ln, "unreadable", rules)
                                     for d, f, ln, _, rules in EXPECTED_SKIPPED_REPO]
    assert rel_findings(doc, etc) == {f for f in rel_findings(root_doc, etc)
                                      if f[0] not in ("OA304", "OA305")}
    assert doc["startup"] == "unknown"
    assert "not readable by this user" in doc["startup_reason"]
    # even --require-files does not make an unreadable key an error: httpd reads as root
    _, strict = lint_json(maps_in_place(server) + ["-f", MAIN, "--require-files"], prefix=prefix)
    assert strict["findings"] == doc["findings"] and strict["startup"] == "unknown"


def test_require_files_makes_missing_keys_errors(layout):
    rc, doc = lint_json(MAPS_REPO + ["-f", MAIN, "--require-files"], cwd=layout["repo"])
    got = rel_findings(doc, layout["repo"] / "conf")
    for name, *_ in SITES:
        assert ("OA305", "error", f"sites-enabled/{name}.conf", KEY_LINE) in got
    assert doc["skipped"] == [] and doc["startup"] == "fails"


def test_repository_text(layout):
    r = lint(MAPS_REPO + ["-f", MAIN], cwd=layout["repo"])
    conf = layout["repo"] / "conf"
    lines = r.stdout.splitlines()
    for name, *_ in SITES:
        key = f"/etc/letsencrypt/live/{name}/privkey.pem"
        want = (f"{conf}/sites-enabled/{name}.conf:{KEY_LINE}: skipped: SSLCertificateKeyFile "
                f"{layout['repo']}/certs/live/{name}/privkey.pem is missing here: not checked "
                "(OA304, OA305)")
        assert want in lines, r.stdout
        assert lines[lines.index(want) + 1] == (
            "    hint: expected in a repository without private keys; lint on the server (as "
            "root, with --require-files) to check it")
        assert key not in r.stdout   # the path as read here, after the map
    assert lines[-1].endswith("3 files not checked) in 3 SSL vhosts of 4; whether httpd would "
                              "start is unknown: files it reads were not checked"), lines[-1]
    assert r.returncode == 1


def test_skip_oa305_keeps_the_other_rules_and_the_prediction(layout, tmp_path):
    """--skip OA305 on a garbage certificate: not reported, but httpd still fails and the
    other certificate rules still run."""
    repo = tmp_path / "repo"
    shutil.copytree(layout["repo"], repo, symlinks=True)
    (repo / "certs" / "live" / "a.test" / "fullchain.pem").write_text("garbage\n")
    rc, doc = lint_json(MAPS_REPO + ["-f", MAIN, "--skip", "OA305"], cwd=repo)
    rules = {f["rule"] for f in doc["findings"]}
    assert "OA305" not in rules and "OA201" in rules
    assert doc["startup"] == "fails"
    assert doc["startup_reason"].endswith("[OA305, not reported: the rule is not selected]")
    r = lint(MAPS_REPO + ["-f", MAIN, "--skip", "OA305"], cwd=repo)
    assert r.stdout.splitlines()[-1].endswith("httpd would refuse to start")


# --------------------------------------------------------------------------- SARIF

def test_sarif_relative_and_on_the_edited_file(layout, validator, tmp_path):  # noqa: F811
    repo = layout["repo"]
    r = lint(MAPS_REPO + ["-f", MAIN, "--format", "sarif"], cwd=repo)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    run = doc["runs"][0]
    assert run["originalUriBaseIds"] == {"SRCROOT": {"uri": repo.resolve().as_uri() + "/"}}
    by_rule = {}
    for res in run["results"]:
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "SRCROOT"
        assert not loc["artifactLocation"]["uri"].startswith(("/", "file:"))
        by_rule.setdefault(res["ruleId"], []).append(res)
        assert len(res["partialFingerprints"]["ocspLintFinding/v1"]) == 64
    b = by_rule["OA201"][0]
    assert b["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "conf/sites-available/b.test.conf", "uriBaseId": "SRCROOT"},
        "region": {"startLine": CERT_LINE}}
    rel = b["relatedLocations"][0]
    assert rel["physicalLocation"]["artifactLocation"] == {
        "uri": "conf/sites-enabled/b.test.conf", "uriBaseId": "SRCROOT"}
    assert rel["message"]["text"] == f"httpd reads it as {repo}/conf/sites-enabled/b.test.conf"
    assert run["tool"]["driver"]["rules"][0]["helpUri"].startswith("https://")
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is True
    notes = [n for n in inv["toolExecutionNotifications"]
             if n["descriptor"]["id"] == "skipped-check"]
    assert sorted(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                  for n in notes) == [f"conf/sites-available/{s[0]}.conf" for s in SITES]
    assert all(n["level"] == "note" and n["properties"]["rules"] == ["OA304", "OA305"]
               for n in notes)
    path = tmp_path / "repo.sarif"
    path.write_text(r.stdout)
    found, out = validate(validator, path, tmp_path)
    assert [f for f in found if f[0] in ("error", "warning")] == [], out


def test_sarif_srcroot_option(layout):
    repo = layout["repo"]
    r = lint(MAPS_REPO + ["-f", MAIN, "--format", "sarif", "--srcroot", "conf"], cwd=repo)
    run = json.loads(r.stdout)["runs"][0]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == (repo / "conf").resolve().as_uri() + "/"
    uris = {res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for res in run["results"]}
    assert "sites-available/b.test.conf" in uris


def test_fingerprints_survive_moving_a_vhost(layout, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(layout["repo"], repo, symlinks=True)
    _, before = lint_json(MAPS_REPO + ["-f", MAIN], cwd=repo)
    site = repo / "conf" / "sites-available" / "b.test.conf"
    site.write_text("# moved down\n\n\n" + site.read_text())
    _, after = lint_json(MAPS_REPO + ["-f", MAIN], cwd=repo)
    fb = {f["rule"]: (f["fingerprint"], f["line"]) for f in before["findings"]
          if f["vhost"] == "b.test"}
    fa = {f["rule"]: (f["fingerprint"], f["line"]) for f in after["findings"]
          if f["vhost"] == "b.test"}
    assert fb["OA201"][1] + 3 == fa["OA201"][1]
    assert fb["OA201"][0] == fa["OA201"][0]
    # and elsewhere on disk: relative to SRCROOT
    other = tmp_path / "elsewhere"
    shutil.copytree(repo, other, symlinks=True)
    _, moved = lint_json(MAPS_REPO + ["-f", MAIN], cwd=other)
    assert sorted(f["fingerprint"] for f in moved["findings"]) == \
        sorted(f["fingerprint"] for f in after["findings"])


# --------------------------------------------------------------------------- exit 2 and 3

@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab"])
def test_parse_error_still_writes_a_document(layout, tmp_path, fmt, validator):  # noqa: F811
    repo = tmp_path / "repo"
    shutil.copytree(layout["repo"], repo, symlinks=True)
    (repo / "conf" / "sites-available" / "a.test.conf").write_text("<VirtualHost *:443>\n")
    r = lint(MAPS_REPO + ["-f", MAIN, "--format", fmt], cwd=repo)
    assert r.returncode == 3, r.stderr
    doc = json.loads(r.stdout)
    if fmt == "json":
        assert doc["error"]["kind"] == "parse-error"
        assert doc["error"]["file"] == str(repo / "conf" / "sites-enabled" / "a.test.conf")
        # httpd refuses what the reader refuses: the prediction is that it fails
        assert doc["findings"] == [] and doc["startup"] == "fails"
    elif fmt == "gitlab":
        assert doc == []
    else:
        inv = doc["runs"][0]["invocations"][0]
        assert inv["executionSuccessful"] is False
        n = inv["toolExecutionNotifications"][0]
        assert n["level"] == "error" and n["descriptor"]["id"] == "parse-error"
        assert n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
            "conf/sites-available/a.test.conf"
        assert doc["runs"][0]["results"] == []
        path = tmp_path / "error.sarif"
        path.write_text(r.stdout)
        found, out = validate(validator, path, tmp_path)
        assert [f for f in found if f[0] in ("error", "warning")] == [], out


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_unreadable_main_config_still_writes_a_document(tmp_path, fmt, lint_bin):
    r = lint(["--no-envvars", "--format", fmt, str(tmp_path / "nothere.conf")])
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    if fmt == "json":
        assert doc["error"]["kind"] == "config-unreadable"
        assert "Could not open configuration file" in doc["error"]["message"]
    else:
        assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False
        assert doc["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["descriptor"][
            "id"] == "config-unreadable"


def test_usage_error_still_writes_a_document(lint_bin):
    r = lint(["--format", "sarif", "--no-such-option"])
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False
    r = lint(["--no-such-option", "--format=json"])
    assert r.returncode == 2 and json.loads(r.stdout)["error"]["kind"] == "usage"
    r = lint(["--vhosts", "--format", "sarif", "x.conf"])
    assert r.returncode == 2 and "--vhosts prints text or json, not sarif" in r.stderr
    assert json.loads(r.stdout)["runs"][0]["invocations"][0]["executionSuccessful"] is False


# --------------------------------------------------------------------------- baseline

def test_baseline(layout, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(layout["repo"], repo, symlinks=True)
    r = lint(MAPS_REPO + ["-f", MAIN, "--write-baseline", "baseline.txt", "--format", "json"],
             cwd=repo)
    assert r.returncode == 0, r.stderr
    lines = (repo / "baseline.txt").read_text().splitlines()
    # the report as usual, whose fingerprints are the baseline's
    assert sorted(f["fingerprint"] for f in json.loads(r.stdout)["findings"]) == \
        sorted(ln.split()[0] for ln in lines[1:])
    assert r.stderr == f"baseline.txt: {len(lines) - 1} findings written to the baseline\n"
    assert lines[0].startswith("# ocsp-lint baseline v1")
    assert any(ln.split()[1:] == ["OA201", f"conf/sites-available/b.test.conf:{CERT_LINE}"]
               for ln in lines[1:]), lines
    # moved a few lines: still in the baseline, nothing new
    site = repo / "conf" / "sites-available" / "b.test.conf"
    site.write_text("# comment\n# comment\n" + site.read_text())
    rc, doc = lint_json(MAPS_REPO + ["-f", MAIN, "--baseline", "baseline.txt"], cwd=repo)
    assert rc == 0 and doc["findings"] == []
    assert doc["summary"]["baselined"] == len(lines) - 1
    # a new problem fails, and is the only finding
    (repo / "conf" / "sites-available" / "d.test.conf").write_text(
        SITE.format(name="d.test", stapling="on", cert="cert.pem"))
    (repo / "conf" / "sites-enabled" / "d.test.conf").symlink_to("../sites-available/d.test.conf")
    (repo / "certs" / "live" / "d.test").mkdir()
    shutil.copy(repo / "certs" / "live" / "b.test" / "cert.pem",
                repo / "certs" / "live" / "d.test" / "cert.pem")
    rc, doc = lint_json(MAPS_REPO + ["-f", MAIN, "--baseline", "baseline.txt"], cwd=repo)
    assert rc == 1
    assert [(f["rule"], f["vhost"]) for f in doc["findings"]] == [("OA201", "d.test")]
    r = lint(MAPS_REPO + ["-f", MAIN, "--baseline", "nothere.txt", "--format", "json"], cwd=repo)
    assert r.returncode == 2 and json.loads(r.stdout)["error"]["kind"] == "baseline"
    r = lint(MAPS_REPO + ["-f", MAIN, "--write-baseline", "no/such/dir/b.txt", "--format",
                          "sarif"], cwd=repo)
    assert r.returncode == 2
    assert json.loads(r.stdout)["runs"][0]["invocations"][0]["executionSuccessful"] is False


# --------------------------------------------------------------------------- GitLab

def test_gitlab_code_quality(layout):
    r = lint(MAPS_REPO + ["-f", MAIN, "--format", "gitlab"], cwd=layout["repo"])
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    _, js = lint_json(MAPS_REPO + ["-f", MAIN], cwd=layout["repo"])
    assert len(doc) == len(js["findings"])
    for g, f in zip(doc, js["findings"]):
        assert set(g) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert g["check_name"] == f["rule"] and g["fingerprint"] == f["fingerprint"]
        assert g["description"] == f"{f['message']} [{f['rule']} {f['slug']}]"
        assert g["severity"] == {"error": "major", "warning": "minor", "note": "info"}[
            f["severity"]]
        assert g["location"]["lines"]["begin"] == f["line"]
    b = next(g for g in doc if g["check_name"] == "OA201")
    assert b["location"]["path"] == "conf/sites-available/b.test.conf"


# --------------------------------------------------------------------------- docs/ci

def _path_with_lint(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ocsp-lint").symlink_to(Path(H.lint_binary()).resolve())
    return f"{bin_dir}:{H.minimal_env()['PATH']}"


def _sh(cmd, cwd, path):
    return subprocess.run(["sh", "-ec", cmd], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=H.minimal_env({"PATH": path}),
                          stdin=subprocess.DEVNULL)


def test_github_actions_workflow(layout, tmp_path, validator):  # noqa: F811
    yaml = pytest.importorskip("yaml")
    wf = yaml.safe_load((TOP / "docs" / "ci" / "github-actions.yml").read_text())
    steps = {s.get("id"): s for s in wf["jobs"]["ocsp-lint"]["steps"]}
    assert wf[True if True in wf else "on"] is not None   # YAML 1.1 reads "on" as True
    assert wf["permissions"]["security-events"] == "write"
    repo = tmp_path / "repo"
    shutil.copytree(layout["repo"], repo, symlinks=True)
    r = _sh(steps["lint"]["run"], repo, _path_with_lint(tmp_path))
    assert r.returncode == 1, r.stderr       # OA201: the job fails, the upload still runs
    up = steps["upload"]
    assert up["if"] == "always()" and up["uses"].startswith("github/codeql-action/upload-sarif")
    sarif = repo / up["with"]["sarif_file"]
    doc = json.loads(sarif.read_text())
    assert {res["ruleId"] for res in doc["runs"][0]["results"]} >= {"OA201"}
    # GitHub's upload limits: 10 MB gzip, relative URIs within the repository
    assert sarif.stat().st_size < 10 * 1024 * 1024
    for res in doc["runs"][0]["results"]:
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert (repo / uri).is_file(), uri
    found, out = validate(validator, sarif, tmp_path)
    assert [f for f in found if f[0] in ("error", "warning")] == [], out


def test_gitlab_ci_job(layout, tmp_path):
    yaml = pytest.importorskip("yaml")
    job = yaml.safe_load((TOP / "docs" / "ci" / "gitlab-ci.yml").read_text())["ocsp-lint"]
    repo = tmp_path / "repo"
    shutil.copytree(layout["repo"], repo, symlinks=True)
    path = _path_with_lint(tmp_path)
    codes = [_sh(cmd, repo, path).returncode for cmd in job["script"]]
    assert codes == [1]
    assert job["artifacts"]["when"] == "always"
    report = repo / job["artifacts"]["reports"]["codequality"]
    doc = json.loads(report.read_text())
    assert any(g["check_name"] == "OA201"
               and g["location"]["path"] == "conf/sites-available/b.test.conf" for g in doc)
    for g in doc:
        assert (repo / g["location"]["path"]).is_file()


def test_pre_commit_hook(layout, tmp_path):
    yaml = pytest.importorskip("yaml")
    hooks = yaml.safe_load((TOP / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "ocsp-lint")
    assert hook["language"] == "system" and hook["pass_filenames"] is False
    cfg = yaml.safe_load((TOP / "docs" / "ci" / "pre-commit-config.yaml").read_text())
    use = cfg["repos"][0]["hooks"][0]
    assert use["id"] == "ocsp-lint"
    repo = tmp_path / "repo"
    shutil.copytree(layout["repo"], repo, symlinks=True)
    path = _path_with_lint(tmp_path)
    # what pre-commit runs: entry, then args (no file names)
    cmd = " ".join([hook["entry"]] + [f"'{a}'" for a in hook.get("args", []) + use["args"]])
    r = _sh(cmd, repo, path)
    assert r.returncode == 1, r.stderr
    assert f"{repo}/conf/sites-enabled/b.test.conf:{CERT_LINE}: error: " in r.stdout
    # fixed: the hook passes
    shutil.copy(repo / "certs" / "live" / "a.test" / "fullchain.pem",
                repo / "certs" / "live" / "b.test" / "cert.pem")
    r = _sh(cmd, repo, path)
    assert r.returncode == 0, r.stdout


def test_every_option_is_documented(lint_bin):
    """Each option of --help is in docs/ocsp-lint.md (by its long or short name), and the
    CI options are in --help."""
    r = lint(["--help"])
    assert r.returncode == 0
    opts = []
    for ln in r.stdout.splitlines():
        words = ln.replace(",", " ").split()
        if words and words[0].startswith("-"):
            opts.append([w for w in words if w.startswith("-")])
    longs = {w for o in opts for w in o if w.startswith("--")}
    for o in ("--path-map", "--require-files", "--srcroot", "--baseline", "--write-baseline",
              "--docs-uri", "--format"):
        assert o in longs, o
    doc = (TOP / "docs" / "ocsp-lint.md").read_text()
    assert [o for o in opts if not any(f"`{w}" in doc for w in o)] == []


def test_sarif_keeps_to_githubs_limits(tmp_path, lint_bin):
    """25,003 findings: the log holds GitHub's 25,000 results per run, says how many there
    were in a notification, and stays under the 10 MB (gzip) upload limit."""
    import gzip
    conf = tmp_path / "many.conf"
    conf.write_text("LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n"
                    + "<VirtualHost *:443>\nSSLEngine on\n</VirtualHost>\n" * 25003)
    r = lint(["--no-envvars", "--format", "sarif", conf], cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    run = json.loads(r.stdout)["runs"][0]
    assert len(run["results"]) == 25000
    assert {res["ruleId"] for res in run["results"]} == {"OA305"}
    notes = [n for n in run["invocations"][0]["toolExecutionNotifications"]
             if n["descriptor"]["id"] == "results-truncated"]
    assert [n["message"]["text"] for n in notes] == [
        "25003 results, of which the first 25000 are in this log"]
    assert notes[0]["level"] == "warning"
    assert len(gzip.compress(r.stdout.encode())) < 10 * 1024 * 1024


# --------------------------------------------------------------------------- suppression

def _silence_b(repo, words):
    site = repo / "conf" / "sites-available" / "b.test.conf"
    site.write_text(f"# ocsp-lint: disable={words} reviewed in change 123\n" + site.read_text())
    return site


def test_suppressed_findings_are_kept_out_and_shown_on_request(layout, validator,  # noqa: F811
                                                               tmp_path):
    """A disable comment silences the finding; --show-suppressed lists it, marked, in text,
    JSON and SARIF (suppressions[] inSource); a word that names no rule is a warning."""
    repo = tmp_path / "repo"
    shutil.copytree(layout["repo"], repo, symlinks=True)
    _, before = lint_json(MAPS_REPO + ["-f", MAIN], cwd=repo)
    b201 = [f for f in before["findings"] if f["rule"] == "OA201" and f["vhost"] == "b.test"]
    assert len(b201) == 1, before["findings"]
    site = _silence_b(repo, "issuer-not-found,OA299")
    _, doc = lint_json(MAPS_REPO + ["-f", MAIN], cwd=repo)
    assert not [f for f in doc["findings"] if f["rule"] == "OA201" and f["vhost"] == "b.test"]
    assert doc["summary"]["suppressed"] == before["summary"]["suppressed"] + 1
    assert "suppressed_findings" not in doc
    warn = [d for d in doc["diagnostics"] if "OA299" in d["message"]]
    assert len(warn) == 1 and warn[0]["severity"] == "warning"
    assert os.path.basename(warn[0]["file"]) == "b.test.conf" and warn[0]["line"] == 1
    assert "names no rule 'OA299': it silences nothing" in warn[0]["message"]

    _, shown = lint_json(MAPS_REPO + ["-f", MAIN, "--show-suppressed"], cwd=repo)
    assert shown["findings"] == doc["findings"]
    assert [(f["rule"], f["vhost"], f["line"]) for f in shown["suppressed_findings"]] == \
        [("OA201", "b.test", b201[0]["line"] + 1)]

    r = lint(MAPS_REPO + ["-f", MAIN, "--show-suppressed"], cwd=repo)
    marked = [ln for ln in r.stdout.splitlines() if "(suppressed)" in ln]
    assert len(marked) == 1 and "b.test.conf:" in marked[0]
    assert ": error (suppressed): " in marked[0] and marked[0].endswith("[OA201 issuer-not-found]")

    r = lint(MAPS_REPO + ["-f", MAIN, "--show-suppressed", "--format", "sarif"], cwd=repo)
    results = json.loads(r.stdout)["runs"][0]["results"]
    silenced = [x for x in results if x.get("suppressions")]
    assert len(silenced) == 1 and silenced[0]["ruleId"] == "OA201"
    assert silenced[0]["suppressions"][0]["kind"] == "inSource"
    assert len(results) == len(doc["findings"]) + 1
    path = tmp_path / "suppressed.sarif"
    path.write_text(r.stdout)
    found, out = validate(validator, path, tmp_path)
    assert [f for f in found if f[0] in ("error", "warning")] == [], out


def test_a_silenced_fatal_finding_still_fails_the_gate(tmp_path, lint_bin):
    """httpd refuses to start (AH01958, no stapling cache) whatever silences OA101: the
    prediction says so and the exit status is 1, not 0."""
    mods = "/usr/lib/apache2/modules"
    if not os.path.isfile(f"{mods}/mod_ssl.so"):
        pytest.skip("Debian's apache2 modules are not installed")
    conf = tmp_path / "a.conf"
    conf.write_text(
        f"LoadModule mpm_event_module {mods}/mod_mpm_event.so\n"
        f"LoadModule authz_core_module {mods}/mod_authz_core.so\n"
        f"LoadModule ssl_module {mods}/mod_ssl.so\n"
        "Listen 127.0.0.1:8443 https\n"
        "# ocsp-lint: disable=OA101 we know\n"
        "<VirtualHost *:8443>\n"
        "    ServerName a.test\n"
        "    SSLEngine on\n"
        "    SSLCertificateFile /nonexistent/a.pem\n"
        "    SSLCertificateKeyFile /nonexistent/a.key\n"
        "    SSLUseStapling on\n"
        "</VirtualHost>\n")
    r = lint(["--no-envvars", "--skip", "OA401,OA402", str(conf)])
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1].endswith("httpd would refuse to start")
    assert "[OA101" not in r.stdout
    r = lint(["--no-envvars", "--format", "json", str(conf)])
    doc = json.loads(r.stdout)
    assert r.returncode == 1 and doc["startup"] == "fails"
    assert [f["rule"] for f in doc["findings"] if f["rule"] == "OA101"] == []
    assert doc["startup_reason"].endswith(
        "[OA101, not reported: a '# ocsp-lint: disable' comment silences it]")
