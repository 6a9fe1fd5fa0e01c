"""mod_ocsp_audit inside the real apache2: it loads with every MPM, reports under
`apache2 -t` what httpd itself misses, refuses in strict mode, re-audits on graceful
restart, says nothing but OA00003 without SSL, rejects bad values of its directives, and
finds exactly what ocsp-lint finds on the same configuration.

Environment: OA_MODULE (the .so), OCSP_LINT, HTTPD (see module_helpers.py, httpd.py).
Run:  /usr/bin/python3 -m pytest tests/integration/test_module_audit.py
"""

import glob
import os
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

import httpd as H
import module_helpers as M
import ocsp_fixtures as F


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def oa_module(httpd_bin):
    path = M.module_path()
    if not os.path.isfile(path):
        msg = f"mod_ocsp_audit not built: {path} does not exist (set OA_MODULE)"
        if os.environ.get("OA_REQUIRE_LINT") or os.environ.get("OA_REQUIRE_HTTPD"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def pki():
    """The test PKI of tools/make-test-pki.sh, its OCSP URL on a 127.0.0.1 port nothing
    listens on (the audit never queries responders)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    d = Path(tempfile.mkdtemp(prefix="oa-it-pki-"))
    d.chmod(0o755)
    try:
        yield M.make_pki(d / "pki", f"http://127.0.0.1:{H.free_port()}/")
    finally:
        if not os.environ.get("OA_KEEP_TMP"):
            shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def responder(pki):
    """An OCSP responder for the PKI on its URL's 127.0.0.1 port (in this process: see
    M.LoopbackResponder), for tests where httpd really staples."""
    url = (pki / "ocsp-url.txt").read_text().strip()
    port = int(re.match(r"^http://127\.0\.0\.1:(\d+)/$", url).group(1))
    with M.LoopbackResponder(pki, port) as r:
        yield r


def staple_status(port, sni, pki):
    """`openssl s_client -status` against 127.0.0.1:port: (OCSP response status, cert
    status) of the staple, e.g. ("successful", "good"); None for what is not there."""
    hs = F.s_client(port, sni, timeout=60, cafile=pki / "root.pem")
    return hs["response_status"], hs["cert_status"]


def ssl_vhost(addr, name, cert, key, body=""):
    """An SSL <VirtualHost> block (text); body: extra lines, already indented."""
    return (f"<VirtualHost {addr}>\n"
            f"    ServerName {name}\n"
            "    SSLEngine on\n"
            f'    SSLCertificateFile "{cert}"\n'
            f'    SSLCertificateKeyFile "{key}"\n'
            + body +
            "</VirtualHost>\n")


def write_conf(root, text, name="main.conf"):
    root = Path(root)
    M.write_files(root, {name: text}, {})
    return root / name


def assert_syntax_ok(r):
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "Syntax OK" in out, \
        f"apache2 -t failed (exit {r.returncode}):\n{out}"


def only_findings(text):
    """The module's findings in text; fails on malformed or mis-levelled finding lines."""
    findings, problems = M.module_findings(text)
    assert not problems, "\n".join(problems) + "\n\n" + text
    return findings


def keys(findings, severity=None):
    return sorted({(f["rule"], f["file"], f["line"]) for f in findings
                   if severity is None or f["severity"] == severity})


def one_summary(text, when):
    """The single OA00002 line of text; asserts there is exactly one, for `when`."""
    s = M.summaries(text)
    assert len(s) == 1, f"expected one OA00002 summary, got {len(s)}:\n{text}"
    ll, m = s[0]
    assert m is not None, f"OA00002 line in an unexpected format: {ll.raw}"
    assert m["when"] == when, f"summary says {m['when']!r}, expected {when!r}: {ll.raw}"
    return ll, m


def tls_handshake(port, sni):
    """A TLS handshake with 127.0.0.1:port (no verification); returns the peer's
    certificate (DER)."""
    return F.tls_handshake(port, sni, timeout=10, peer_cert=True)


def clean_config(root, pki, port, mpm="event", audit=True):
    """A config with one SSL vhost and nothing wrong at error level: full chain, stapling
    on with a cache (the audit may still note matters of taste: OA401, OA402)."""
    return (M.base_config(root, mpm, audit=audit) +
            f'SSLStaplingCache "shmcb:{root}/run/stapling(65536)"\n' +
            f"Listen 127.0.0.1:{port}\n" +
            ssl_vhost(f"127.0.0.1:{port}", "good.test", f"{pki}/good-fullchain.pem",
                      f"{pki}/good.key", "    SSLUseStapling on\n"))


def check_clean_audit(text, when):
    """The module's lines in text for a config without error-level findings: finding lines
    (none at error level) and one summary for `when` that counts them, at info level."""
    findings = only_findings(text)
    assert [f for f in findings if f["severity"] == "error"] == [], text
    ll, m = one_summary(text, when)
    assert ll.level == "info", ll.raw
    assert (m["vhosts"], m["errors"], m["warnings"], m["notes"], m["rest"]) == \
        ("1", "0", str(sum(f["severity"] == "warning" for f in findings)),
         str(sum(f["severity"] == "note" for f in findings)), ""), ll.raw
    assert sorted(x.raw for x in M.module_lines(text)) == \
        sorted([f["raw"] for f in findings] + [ll.raw]), text


# --------------------------------------------------------------------------- 1. loading

@pytest.mark.parametrize("mpm", M.MPMS)
def test_module_loads_with_each_mpm(oa_module, pki, responder, workdir, free_port,
                                    httpd_instance, mpm):
    """apache2 -t and a real start with the module, stapling against a working responder;
    the server runs long enough for the module's first probe round (OcspAuditProbe is on
    by default)."""
    port = free_port()
    root = workdir / f"mpm-{mpm}"
    conf = write_conf(root, clean_config(root, pki, port, mpm))

    r = M.configtest(root, conf, with_module=False)
    assert_syntax_ok(r)
    check_clean_audit(r.stderr, "configtest")
    assert M.bad_lines(r.stderr) == []

    served = responder.requests
    inst = httpd_instance(root, conf, ports=[port])
    assert tls_handshake(port, "good.test")
    assert staple_status(port, "good.test", pki) == ("successful", "good"), inst.diagnostics()
    assert responder.requests > served
    M.wait_for(lambda: responder.requests > served + 1, 5)   # the module's probe
    time.sleep(0.5)
    assert inst.running()
    inst.stop()
    assert not inst.running()
    assert responder.errors == []

    log = inst.error_log_text()
    assert M.bad_lines(log) == [], "unexpected error-log lines:\n" + log
    check_clean_audit(log, "start")
    assert f"[mpm_{mpm}:notice]" in log and "resuming normal operations" in log
    assert "caught SIGTERM, shutting down" in log


def test_module_off_audits_nothing(oa_module, pki, workdir, free_port):
    """OcspAudit Off: loaded, silent (even with findings to report)."""
    root = workdir / "off"
    port = free_port()
    conf = write_conf(root, M.base_config(root, audit=True) + "OcspAudit Off\n"
                      + f"Listen 127.0.0.1:{port}\n"
                      + ssl_vhost(f"127.0.0.1:{port}", "good.test", f"{pki}/good.pem",
                                  f"{pki}/good.key", "    SSLUseStapling on\n"))
    r = M.configtest(root, conf, with_module=False)
    assert_syntax_ok(r)
    assert M.module_lines(r.stderr) == [], r.stderr


# --------------------------------------------------------------------------- 2. configtest

def _no_cache_config(root, pki, port, audit=False):
    return (M.base_config(root, audit=audit) + f"Listen 127.0.0.1:{port}\n" +
            ssl_vhost(f"127.0.0.1:{port}", "good.test", f"{pki}/good-fullchain.pem",
                      f"{pki}/good.key", "    SSLUseStapling on\n"))


def _no_issuer_config(root, pki, port, audit=False):
    return (M.base_config(root, audit=audit)
            + f'SSLStaplingCache "shmcb:{root}/run/stapling(65536)"\n'
            + f"Listen 127.0.0.1:{port}\n" +
            ssl_vhost(f"127.0.0.1:{port}", "good.test", f"{pki}/good.pem",
                      f"{pki}/good.key", "    SSLUseStapling on\n"))


def _https_force_url_config(root, pki, port, audit=False):
    return (M.base_config(root, audit=audit)
            + f'SSLStaplingCache "shmcb:{root}/run/stapling(65536)"\n'
            + f"Listen 127.0.0.1:{port}\n" +
            ssl_vhost(f"127.0.0.1:{port}", "good.test", f"{pki}/good-fullchain.pem",
                      f"{pki}/good.key", "    SSLUseStapling on\n"
                      "    SSLStaplingForceURL https://127.0.0.1:1/ocsp\n"))


# (make config, rule, slug, the text of the line the finding is at)
# (make config, rule, slug, the text of the line the finding is at, whether httpd will
# refuse to start: the summary says so)
CONFIGTEST_CASES = [
    pytest.param(_no_cache_config, "OA101", "stapling-without-cache", "SSLUseStapling on",
                 True, id="OA101"),
    pytest.param(_no_issuer_config, "OA201", "issuer-not-found", "SSLCertificateFile",
                 False, id="OA201"),
    pytest.param(_https_force_url_config, "OA204", "unusable-responder-url",
                 "SSLStaplingForceURL", False, id="OA204"),
]


@pytest.mark.parametrize("make, rule, slug, at, refuses", CONFIGTEST_CASES)
def test_configtest_reports_what_httpd_misses(oa_module, pki, workdir, free_port,
                                              make, rule, slug, at, refuses):
    root = workdir / rule
    conf = write_conf(root, make(root, pki, free_port()))
    line = M.line_of(conf, at)

    plain = H.httpd_check(root, conf)      # httpd alone: "Syntax OK", nothing else
    assert_syntax_ok(plain)
    assert "OA000" not in plain.stderr

    r = M.configtest(root, conf)
    assert_syntax_ok(r)
    findings = only_findings(r.stderr)
    errors = [f for f in findings if f["severity"] == "error"]
    assert [(f["num"], f["level"], f["rule"], f["slug"], f["file"], f["line"], f["label"])
            for f in errors] == \
        [("10", "error", rule, slug, str(conf), line, f"good.test (127.0.0.1:{port_of(conf)})")], \
        r.stderr
    assert re.search(rf"\] OA00010: error {re.escape(str(conf))}:{line} \[{rule} {slug}\] "
                     rf"vhost good\.test \(127\.0\.0\.1:\d+\): .+ \(fix: .+\)$",
                     r.stderr, re.M), r.stderr
    ll, m = one_summary(r.stderr, "configtest")
    assert ll.level == "warn" and m["errors"] == "1", ll.raw
    if refuses:
        assert m["rest"].startswith(f"; httpd will refuse to start: {conf}:{line}: ") \
            and m["rest"].endswith(f"[{rule}]"), ll.raw
    else:
        assert m["rest"] == "", ll.raw
    assert "OA00004" not in r.stderr


def port_of(conf):
    m = re.search(r"^Listen 127\.0\.0\.1:(\d+)$", Path(conf).read_text(), re.M)
    return m.group(1)


def test_configtest_strict_fails(oa_module, pki, workdir, free_port):
    root = workdir / "strict"
    port = free_port()
    conf = write_conf(root, _no_cache_config(root, pki, port) + "OcspAuditStrict On\n")
    line = M.line_of(conf, "SSLUseStapling on")
    r = M.configtest(root, conf)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "Syntax OK" not in out
    assert keys(only_findings(r.stderr), "error") == [("OA101", str(conf), line)], out
    refusals = [ll for ll in M.module_lines(r.stderr) if ll.msg.startswith("OA00004:")]
    assert len(refusals) == 1 and refusals[0].level == "error", out
    assert "1 error-level finding" in refusals[0].msg


def test_configtest_strict_without_errors_passes(oa_module, pki, workdir, free_port):
    """Strict mode with findings, none at error level (the default stapling settings give
    notes), passes configtest."""
    root = workdir / "strict-ok"
    port = free_port()
    conf = write_conf(root, clean_config(root, pki, port, audit=False) + "OcspAuditStrict On\n")
    r = M.configtest(root, conf)
    assert_syntax_ok(r)
    f = only_findings(r.stderr)
    assert f and [x for x in f if x["severity"] == "error"] == [], r.stderr
    assert "OA00004" not in r.stderr


# error-log lines expected when a vhost's issuer is missing (OA201): the module's finding
# and mod_ssl's own complaint (logged at error level) when it sets up stapling
EXPECTED_NO_ISSUER = [r"\] OA00010: error .* \[OA201 issuer-not-found\]",
                      r"\[ssl:error\] .* AH02217: ssl_stapling_init_cert: can't retrieve issuer",
                      r"\[ssl:error\] .* AH02604: Unable to configure certificate .* for stapling"]


def test_start_strict_refuses(oa_module, pki, workdir, free_port, httpd_instance):
    """OA201 does not stop httpd; OcspAuditStrict On does."""
    root = workdir / "strict-start"
    port = free_port()
    conf = write_conf(root, _no_issuer_config(root, pki, port, audit=True)
                      + "OcspAuditStrict On\n")
    line = M.line_of(conf, "SSLCertificateFile")
    with pytest.raises(H.HttpdStartError) as ei:
        httpd_instance(root, conf, ports=[port])
    assert "exited with" in str(ei.value), str(ei.value)
    assert not H.port_is_open(port)
    run_dir = workdir / "httpd-0"
    log = (run_dir / "error.log").read_text() if (run_dir / "error.log").exists() else ""
    text = log + (run_dir / "httpd.stderr").read_text()
    assert keys(only_findings(text), "error") == [("OA201", str(conf), line)], text
    refusals = [ll for ll in M.module_lines(text) if ll.msg.startswith("OA00004:")]
    assert len(refusals) == 1 and refusals[0].level == "error", text
    ll, m = one_summary(text, "start")
    assert ll.level == "warn" and m["errors"] == "1", ll.raw
    assert M.bad_lines(text, EXPECTED_NO_ISSUER + [
        r"\] OA00004: mod_ocsp_audit: OcspAuditStrict On and 1 error-level",
        r"\[:emerg\] .* AH00020: Configuration Failed, exiting"]) == [], text


def test_start_without_strict_logs_findings(oa_module, pki, responder, workdir, free_port,
                                            httpd_instance):
    root = workdir / "nonstrict-start"
    port = free_port()
    conf = write_conf(root, _no_issuer_config(root, pki, port, audit=True))
    line = M.line_of(conf, "SSLCertificateFile")
    inst = httpd_instance(root, conf, ports=[port])
    assert tls_handshake(port, "good.test")
    inst.stop()
    log = inst.error_log_text()
    findings = only_findings(log)
    assert keys(findings, "error") == [("OA201", str(conf), line)], log
    assert [f["level"] for f in findings if f["rule"] == "OA201"] == ["error"]
    ll, m = one_summary(log, "start")
    assert ll.level == "warn" and m["errors"] == "1", ll.raw
    assert M.bad_lines(log, EXPECTED_NO_ISSUER) == [], log


# --------------------------------------------------------------------------- 3. module == linter

PKI_FILES_CAT = {
    # name: the PKI files concatenated into it
    "wrong-int.pem": ["good.pem", "other-int.pem"],
    "root-first.pem": ["good.pem", "root.pem", "int.pem"],
    "garbage.pem": None,
}


def _head(modules=()):
    return "{HEAD:" + ",".join(modules) + "}"


OWN_CASES = {
    # two name-based SSL vhosts with stapling and no cache, one without its chain, and a
    # plain vhost on another port
    "no-cache": {"files": {"main.conf": _head() + """
Listen 127.0.0.1:{PORT}
Listen 127.0.0.1:{PORT2}
<VirtualHost 127.0.0.1:{PORT}>
    ServerName good.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
</VirtualHost>
<VirtualHost 127.0.0.1:{PORT}>
    ServerName full.test
    ServerAlias www.full.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
</VirtualHost>
<VirtualHost 127.0.0.1:{PORT2}>
    ServerName plain.test
</VirtualHost>
"""}},

    # what each kind of certificate does to stapling
    "stapling-vs-certificates": {"files": {"main.conf": _head() + """
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
Listen 127.0.0.1:{PORT}
<VirtualHost *:{PORT}>
    ServerName noocsp.test
    SSLEngine on
    SSLCertificateFile "{PKI}/noocsp-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/noocsp.key"
    SSLUseStapling on
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName nostapling.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName muststaple.test
    SSLEngine on
    SSLCertificateFile "{PKI}/muststaple-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/muststaple.key"
    SSLUseStapling off
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName httpsocsp.test
    SSLEngine on
    SSLCertificateFile "{PKI}/httpsocsp-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/httpsocsp.key"
    SSLUseStapling on
    SSLStaplingReturnResponderErrors off
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName other.test
    SSLEngine on
    SSLCertificateFile "{PKI}/other-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/other.key"
    SSLUseStapling on
    SSLStaplingFakeTryLater off
</VirtualHost>
"""}},

    # broken certificates and keys (httpd -t does not open them)
    "certificate-problems": {"files": {"main.conf": _head() + """
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
SSLUseStapling on
SSLStaplingReturnResponderErrors off
SSLStaplingFakeTryLater off
Listen 127.0.0.1:{PORT}
<VirtualHost 127.0.0.1:{PORT}>
    ServerName expired.test
    SSLEngine on
    SSLCertificateFile "{PKI}/expired-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/expired.key"
</VirtualHost>
<VirtualHost 127.0.0.1:{PORT}>
    ServerName soon.test
    SSLEngine on
    SSLCertificateFile "{PKI}/soon-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/soon.key"
</VirtualHost>
<VirtualHost 127.0.0.1:{PORT}>
    ServerName mismatch.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/other.key"
</VirtualHost>
<VirtualHost 127.0.0.1:{PORT}>
    ServerName garbage.test
    SSLEngine on
    SSLCertificateFile "{ROOT}/certs/garbage.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
</VirtualHost>
<VirtualHost 127.0.0.1:{PORT}>
    ServerName nokey.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good-fullchain.pem"
</VirtualHost>
"""}},

    # where mod_ssl finds (or does not find) the issuer
    "chains": {"files": {"main.conf": _head() + """
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
Listen 127.0.0.1:{PORT}
<VirtualHost *:{PORT}>
    ServerName chainfile.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLCertificateChainFile "{PKI}/int.pem"
    SSLUseStapling on
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName cafile.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLCACertificateFile "{PKI}/chain.pem"
    SSLUseStapling on
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName wrongint.test
    SSLEngine on
    SSLCertificateFile "{ROOT}/certs/wrong-int.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName rootfirst.test
    SSLEngine on
    SSLCertificateFile "{ROOT}/certs/root-first.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName twocerts.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLCertificateFile "{PKI}/other.pem"
    SSLCertificateKeyFile "{PKI}/other.key"
    SSLUseStapling on
</VirtualHost>
"""}},

    # stapling timeouts and responder settings, server-wide and per vhost
    "stapling-settings": {"files": {"main.conf": _head() + """
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
SSLStaplingResponderTimeout 60
SSLStaplingStandardCacheTimeout 86400
SSLStaplingResponseMaxAge 600
Listen 127.0.0.1:{PORT}
<VirtualHost *:{PORT}>
    ServerName a.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
    SSLStaplingResponderTimeout 2s
    SSLStaplingErrorCacheTimeout 7200
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName b.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
    SSLStaplingForceURL https://ocsp.example/
    SSLStaplingReturnResponderErrors off
    SSLStaplingFakeTryLater off
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName c.test
    SSLEngine on
    SSLCertificateFile "{PKI}/noocsp-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/noocsp.key"
    SSLUseStapling on
    SSLStaplingForceURL http://127.0.0.1:1/
    SSLStaplingResponseTimeSkew 1
</VirtualHost>
"""}},

    # mod_macro: vhosts made by Use, in the main file and in an included one, a macro
    # using a macro, one Use making two vhosts
    "macros": {"files": {
        "main.conf": _head(["macro"]) + """
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
Listen 127.0.0.1:{PORT}
Include macros.conf

Use SSLSite good.test good-fullchain good
Use SSLSite nochain.test good good
Use SSLSite noocsp.test noocsp-fullchain noocsp
Use Pair pair
Include sites/*.conf
<VirtualHost *:{PORT}>
    ServerName direct.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
</VirtualHost>
""",
        "macros.conf": """# macros for SSL sites
<Macro SSLSite $name $cert $key>
<VirtualHost *:{PORT}>
    ServerName $name
    SSLEngine on
    SSLCertificateFile "{PKI}/$cert.pem"
    SSLCertificateKeyFile "{PKI}/$key.key"
    SSLUseStapling on
</VirtualHost>
</Macro>

<Macro Pair $p>
Use SSLSite $p-one.test good good
<VirtualHost *:{PORT}>
    ServerName $p-two.test
    SSLEngine on
    SSLCertificateFile "{PKI}/muststaple-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/muststaple.key"
</VirtualHost>
</Macro>
""",
        "sites/site.conf": """
Use SSLSite insite.test soon-fullchain soon
""",
    }},

    # Include, IncludeOptional, wildcards, nested includes, a path with a space; the
    # server-wide cache in an included file
    "includes": {"files": {
        "main.conf": _head() + """
Include mods/*.conf
Listen 127.0.0.1:{PORT}
IncludeOptional conf.d/*.conf
Include sites/
Include "dir with space/vh.conf"
""",
        "mods/ssl.conf": """<IfModule ssl_module>
    SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
    SSLStaplingReturnResponderErrors off
</IfModule>
""",
        "sites/10-good.conf": """<VirtualHost *:{PORT}>
    ServerName good.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
</VirtualHost>
Include sites-extra/inner.conf
""",
        "sites/20-plain.conf": """<VirtualHost *:{PORT}>
    ServerName plain.test
</VirtualHost>
""",
        "sites-extra/inner.conf": """
<VirtualHost *:{PORT}>
    ServerName inner.test
    SSLEngine on
    SSLCertificateFile "{PKI}/noocsp-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/noocsp.key"
    SSLUseStapling on
</VirtualHost>
""",
        "dir with space/vh.conf": """<VirtualHost *:{PORT}>
    ServerName space.test
    SSLEngine on
    SSLCertificateFile "{PKI}/muststaple.pem"
    SSLCertificateKeyFile "{PKI}/muststaple.key"
</VirtualHost>
""",
    }},

    # Define, ${VAR} from Define and from the environment, <IfDefine> (with -D),
    # <IfModule>, <IfVersion>, <IfFile>
    "defines": {"defines": ["WITH_SOON"], "env": {"OA_CASE_NAME": "fromenv"},
                "files": {"main.conf": _head() + """
Define CERTS {PKI}
Define SITE_PORT {PORT}
Listen 127.0.0.1:${SITE_PORT}
<IfModule mod_ssl.c>
    SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
</IfModule>
<IfModule !mod_md.c>
    SSLUseStapling on
</IfModule>
<VirtualHost 127.0.0.1:${SITE_PORT}>
    ServerName ${OA_CASE_NAME}.test
    SSLEngine on
    SSLCertificateFile "${CERTS}/good.pem"
    SSLCertificateKeyFile "${CERTS}/good.key"
</VirtualHost>
<IfDefine WITH_SOON>
    <VirtualHost 127.0.0.1:${SITE_PORT}>
        ServerName soon.test
        SSLEngine on
        SSLCertificateFile "${CERTS}/soon-fullchain.pem"
        SSLCertificateKeyFile "${CERTS}/soon.key"
    </VirtualHost>
</IfDefine>
<IfDefine !WITH_SOON>
    <VirtualHost 127.0.0.1:${SITE_PORT}>
        ServerName never.test
        SSLEngine on
        SSLCertificateFile "${CERTS}/expired.pem"
        SSLCertificateKeyFile "${CERTS}/expired.key"
    </VirtualHost>
</IfDefine>
<IfVersion >= 2.4.0>
    <IfFile "{PKI}/noocsp.pem">
        <VirtualHost 127.0.0.1:${SITE_PORT}>
            ServerName iffile.test
            SSLEngine on
            SSLCertificateFile "${CERTS}/noocsp-fullchain.pem"
            SSLCertificateKeyFile "${CERTS}/noocsp.key"
        </VirtualHost>
    </IfFile>
</IfVersion>
<IfVersion < 2.4.0>
    SSLUseStapling off
</IfVersion>
"""}},

    # SSL in the main server, vhosts inheriting from it: no ServerName, _default_,
    # several addresses, an IPv6 address
    "main-server-ssl": {"files": {"main.conf": _head() + """
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
Listen 127.0.0.1:{PORT}
Listen 127.0.0.1:{PORT2}
SSLEngine on
SSLCertificateFile "{PKI}/good.pem"
SSLCertificateKeyFile "{PKI}/good.key"
SSLUseStapling on
<VirtualHost *:{PORT}>
    DocumentRoot "{ROOT}/htdocs"
</VirtualHost>
<VirtualHost _default_:{PORT2}>
    ServerName default.test
    SSLCertificateFile "{PKI}/noocsp-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/noocsp.key"
</VirtualHost>
<VirtualHost 127.0.0.1:{PORT} 127.0.0.2:{PORT} [::1]:{PORT}>
    ServerName multi.test
    SSLCertificateFile "{PKI}/good-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling off
</VirtualHost>
<VirtualHost 127.0.0.1:{PORT2}>
    ServerName nossl.test
    SSLEngine off
</VirtualHost>
"""}},

    # "# ocsp-lint: disable=" comments above a <VirtualHost> and above a directive, and
    # one that does not apply (a directive between it and the next)
    "suppression": {"files": {"main.conf": _head() + """
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
Listen 127.0.0.1:{PORT}
# ocsp-lint: disable=OA104 this one staples through a proxy we do not audit
<VirtualHost *:{PORT}>
    ServerName quiet.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName loud.test
    SSLEngine on
    # ocsp-lint: disable=OA201,OA401
    SSLCertificateFile "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    # ocsp-lint: disable=OA203
    SSLEngine on
    SSLUseStapling on
</VirtualHost>
"""}},

    # the module's OcspAuditSkip / OcspAuditExpiryDays against ocsp-lint's --skip /
    # --expiry-days
    "skip-and-expiry": {"module_post": ["OcspAuditSkip OA401 fake-trylater",
                                        "OcspAuditExpiryDays 3"],
                        "lint_options": ["--skip", "OA401,fake-trylater", "--expiry-days", "3"],
                        "files": {"main.conf": _head() + """
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
Listen 127.0.0.1:{PORT}
<VirtualHost *:{PORT}>
    ServerName soon.test
    SSLEngine on
    SSLCertificateFile "{PKI}/soon-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/soon.key"
    SSLUseStapling on
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName good.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
</VirtualHost>
"""}},

    # OcspAuditSelect against --select; OcspAuditExpiryDays 30 makes "good" certificates
    # (valid for a year) no finding, and "soon" one
    "select": {"module_post": ["OcspAuditSelect OA201,no-ocsp-url certificate-expiring"],
               "lint_options": ["--select", "OA201,no-ocsp-url,certificate-expiring"],
               "files": {"main.conf": _head() + """
Listen 127.0.0.1:{PORT}
SSLUseStapling on
<VirtualHost *:{PORT}>
    ServerName good.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName noocsp.test
    SSLEngine on
    SSLCertificateFile "{PKI}/noocsp.pem"
    SSLCertificateKeyFile "{PKI}/noocsp.key"
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName soon.test
    SSLEngine on
    SSLCertificateFile "{PKI}/soon-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/soon.key"
</VirtualHost>
"""}},

    # mod_md staples a domain: mod_ssl's stapling settings do not apply
    "mod-md": {"files": {"main.conf": _head(["md"]) + """
MDStoreDir "{ROOT}/md"
MDCertificateAgreement accepted
MDStapling on
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
Listen 127.0.0.1:{PORT}
MDomain md.test
<VirtualHost *:{PORT}>
    ServerName md.test
    SSLEngine on
    SSLUseStapling on
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName notmd.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
</VirtualHost>
"""}},

    # Include paths that httpd normalizes: "./" and "../" segments (relative and
    # absolute), "//"; the file names in findings must be httpd's
    "include-paths": {"files": {
        "main.conf": _head() + """
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
Listen 127.0.0.1:{PORT}
Include ./sites/../sites/a.conf
Include sites//b.conf
Include {ROOT}/sites/./c.conf
Include {ROOT}/other/../sites/d.conf
""",
        "sites/a.conf": """<VirtualHost *:{PORT}>
    ServerName a.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
</VirtualHost>
""",
        "sites/b.conf": """<VirtualHost *:{PORT}>
    ServerName b.test
    SSLEngine on
    SSLCertificateFile "{PKI}/noocsp-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/noocsp.key"
    SSLUseStapling on
</VirtualHost>
""",
        "sites/c.conf": """<VirtualHost *:{PORT}>
    ServerName c.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
</VirtualHost>
""",
        "sites/d.conf": """<VirtualHost *:{PORT}>
    ServerName d.test
    SSLEngine on
    SSLCertificateFile "{PKI}/muststaple-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/muststaple.key"
</VirtualHost>
""",
        "other/.keep": "",
    }},

    # directives and a <VirtualHost> line continued with a backslash: httpd reports the
    # last physical line
    "continued-lines": {"files": {"main.conf": _head() + """
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
Listen 127.0.0.1:{PORT}
<VirtualHost \\
    *:{PORT}>
    ServerName cont.test
    SSLEngine on
    SSLCertificateFile \\
        "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling \\
        on
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName \\
        off.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good-fullchain.pem"
    SSLCertificateKeyFile \\
    "{PKI}/good.key"
</VirtualHost>
"""}},

    # "# ocsp-lint: disable=" right above a directive or <VirtualHost> that is continued
    # over several lines: it silences the rule there as for a one-line directive
    "suppression-continued": {"files": {"main.conf": _head() + """
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
Listen 127.0.0.1:{PORT}
<VirtualHost *:{PORT}>
    ServerName loud.test
    SSLEngine on
    SSLCertificateFile \\
        "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName quiet.test
    SSLEngine on
    # ocsp-lint: disable=OA201
    SSLCertificateFile \\
        "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
</VirtualHost>
# ocsp-lint: disable=OA104
<VirtualHost \\
    *:{PORT}>
    ServerName quietvh.test
    SSLEngine on
    SSLCertificateFile "{PKI}/good-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
</VirtualHost>
"""}},

    # vhost names: none anywhere ("(no name)"), a ServerName with scheme and port,
    # lower-case directive names, SSLEngine optional, one file included twice, a Use
    # inside a <VirtualHost> (in an <IfModule>)
    "vhost-variants": {"files": {
        "main.conf": _head(["macro", "nomainname"]) + """
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
Listen 127.0.0.1:{PORT}
<Macro Certs $c>
    SSLCertificateFile "{PKI}/$c.pem"
    SSLCertificateKeyFile "{PKI}/$c.key"
</Macro>
<VirtualHost *:{PORT}>
    SSLEngine on
    SSLCertificateFile "{PKI}/good.pem"
    SSLCertificateKeyFile "{PKI}/good.key"
    SSLUseStapling on
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName https://Scheme.Test:{PORT}
    sslengine ON
    sslcertificatefile "{PKI}/noocsp.pem"
    SSLCertificateKeyFile "{PKI}/noocsp.key"
    sslusestapling On
</VirtualHost>
<VirtualHost *:{PORT}>
    ServerName optional.test
    SSLEngine optional
    <IfModule mod_ssl.c>
        Use Certs muststaple
    </IfModule>
</VirtualHost>
Include sites/twice.conf
Include sites/twice.conf
""",
        "sites/twice.conf": """<VirtualHost 127.0.0.1:{PORT}>
    ServerName twice.test
    SSLEngine on
    SSLCertificateFile "{PKI}/soon.pem"
    SSLCertificateKeyFile "{PKI}/soon.key"
    SSLUseStapling on
</VirtualHost>
""",
    }},
    # the main server's own findings (no directive to point at) are placed in the main
    # config file, line 0: also when its first directive is an Include
    "main-server-include-first": {"files": {
        "main.conf": """Include head.conf
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
Listen 127.0.0.1:{PORT}
SSLEngine on
SSLCertificateFile "{PKI}/good-fullchain.pem"
SSLCertificateKeyFile "{PKI}/good.key"
<VirtualHost *:{PORT}>
    ServerName vh.test
    SSLCertificateFile "{PKI}/noocsp-fullchain.pem"
    SSLCertificateKeyFile "{PKI}/noocsp.key"
</VirtualHost>
""",
        "head.conf": _head() + "\n",
    }},

    # ... and when directives come from -C (httpd's "-c/-C directives")
    "main-server-with-C": {"pre": ["ServerAdmin admin@main.test"],
                           "files": {"main.conf": _head() + """
SSLStaplingCache "shmcb:{ROOT}/run/stapling(65536)"
Listen 127.0.0.1:{PORT}
SSLEngine on
SSLCertificateFile "{PKI}/good-fullchain.pem"
SSLCertificateKeyFile "{PKI}/good.key"
"""}},
}


def _render_case(name, case, dest, pki, free_port):
    """Write an OWN_CASES entry below dest; returns (root, conf)."""
    root = Path(dest) / name
    values = {"ROOT": root, "PKI": pki, "PORT": free_port(), "PORT2": free_port()}
    files = {}
    for rel, text in case["files"].items():
        def head(m):
            mods = [x for x in m.group(1).split(",") if x]
            text = M.base_config(root, modules=[x for x in mods if x != "nomainname"])
            if "nomainname" in mods:       # no ServerName in the main server
                text = text.replace("ServerName main.test\n", "")
            return text.rstrip("\n")
        files[rel] = re.sub(r"\{HEAD:([a-z_,]*)\}", head, text)
    M.write_files(root, files, values)
    certs = root / "certs"
    certs.mkdir(exist_ok=True)
    for fname, parts in PKI_FILES_CAT.items():
        data = (b"".join((Path(pki) / p).read_bytes() for p in parts) if parts
                else b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        (certs / fname).write_bytes(data)
        (certs / fname).chmod(0o644)
    return root, root / "main.conf"


def _compare_hosts(root, conf, defines=(), env=None, pre=(), module_post=(), lint_options=(),
                   expect=None):
    """Run the module (apache2 -t) and ocsp-lint on one config; assert equal findings.
    Returns the module's findings."""
    r = M.configtest(root, conf, defines, pre=pre, post=module_post, env=env)
    out = r.stdout + r.stderr
    if r.returncode == 1 and "AH00526: Syntax error on line " in r.stderr \
            and "OA000" not in r.stderr:
        # httpd refused the config while reading it: check_config never ran
        pytest.skip(f"apache2 refuses {conf} at parse time:\n{out[-2000:]}")
    assert_syntax_ok(r)
    mfind = only_findings(r.stderr)
    nothing = [ll for ll in M.module_lines(r.stderr) if ll.msg.startswith("OA00003:")]
    if nothing:
        # no SSL vhost: OA00003 and nothing else from the module
        assert [ll.raw for ll in M.module_lines(r.stderr)] == [nothing[0].raw], r.stderr
        assert nothing[0].level == "info", nothing[0].raw
    else:
        ll, summ = one_summary(r.stderr, "configtest")
        counts = {s: sum(1 for f in mfind if f["severity"] == s)
                  for s in ("error", "warning", "note")}
        assert (int(summ["errors"]), int(summ["warnings"]), int(summ["notes"])) == \
            (counts["error"], counts["warning"], counts["note"]), \
            f"summary does not count the finding lines: {ll.raw}\n{r.stderr}"

    lr = M.lint(root, conf, defines, pre=pre, env=env, options=lint_options)
    assert lr.returncode in (0, 1) and isinstance(lr.data, dict), \
        (f"ocsp-lint failed (exit {lr.returncode}): {' '.join(map(str, lr.args))}\n"
         f"{lr.stderr}\n{lr.stdout[:3000]}")
    lfind = M.lint_findings(lr)

    only_m, only_l = M.compare_findings(mfind, lfind)
    if only_m or only_l:
        msg = [f"mod_ocsp_audit and ocsp-lint disagree on {conf}"]
        msg += [f"  only mod_ocsp_audit: {f}" for f in only_m]
        msg += [f"  only ocsp-lint:      {f}" for f in only_l]
        msg += ["--- apache2 -t stderr:", r.stderr,
                "--- ocsp-lint findings:"] + [f"  {M.finding_key(f)}" for f in lfind]
        pytest.fail("\n".join(msg))
    # one verdict: the module's OA00006 lines (info) say what ocsp-lint's vhosts[] says
    # of every vhost that is not good
    mverd = sorted(ll.msg.split(": ", 2)[2] for ll in M.module_lines(r.stderr)
                   if ll.msg.startswith("OA00006:"))
    lverd = sorted(f"{v['level']}, {v['state']}: {v['reason']}"
                   + (f" (fix: {v['fix']})" if v["fix"] else "")
                   for v in lr.data.get("vhosts") or [] if v["level"] != "good")
    assert mverd == lverd, f"verdicts: mod_ocsp_audit {mverd}\nocsp-lint {lverd}"
    assert all(ll.level == "info" for ll in M.module_lines(r.stderr)
               if ll.msg.startswith("OA00006:"))
    lsum = lr.data.get("summary") or {}
    if nothing:
        assert lsum.get("ssl_vhosts") == 0, \
            f"the module found no SSL vhost, ocsp-lint's summary says {lsum}"
    else:
        # the summary line: SSL vhosts audited, findings silenced by comments
        assert (int(summ["vhosts"]), int(summ["suppressed"])) == \
            (lsum.get("ssl_vhosts"), lsum.get("suppressed")), \
            f"module summary {ll.raw}\nocsp-lint summary {lsum}"
    if expect is not None:
        check_expectations(mfind, expect, r.stderr)
    return mfind


# What each own case is there for, checked on the module's findings (the comparison with
# ocsp-lint is exact; this guards against both hosts silently finding nothing):
#   present  (rule, vhost name) pairs that must be found (vhost None: the nameless vhost)
#   absent   (rule, vhost name) pairs that must not be found ("*": any)
#   rules    the exact set of rules found (only where the case fixes it: --select/--skip)
OWN_EXPECT = {
    "no-cache": {"present": [("OA101", "good.test"), ("OA101", "full.test"),
                             ("OA201", "good.test")],
                 "absent": [("OA201", "full.test"), ("*", "plain.test")]},
    "stapling-vs-certificates": {
        "present": [("OA203", "noocsp.test"), ("OA104", "nostapling.test"),
                    ("OA205", "muststaple.test"), ("OA204", "httpsocsp.test")],
        "absent": [("OA201", "*"), ("OA203", "other.test")]},
    "certificate-problems": {
        "present": [("OA301", "expired.test"), ("OA303", "soon.test"), ("OA304", "mismatch.test"),
                    ("OA304", "nokey.test"), ("OA305", "garbage.test")],
        "absent": [("OA201", "*"), ("OA304", "soon.test")]},
    "chains": {"present": [("OA405", "chainfile.test"), ("OA202", "wrongint.test"),
                           ("OA201", "wrongint.test"), ("OA202", "rootfirst.test"),
                           ("OA201", "twocerts.test")],
               "absent": [("OA201", "chainfile.test"), ("OA201", "cafile.test"),
                          ("OA201", "rootfirst.test")]},
    "stapling-settings": {"present": [("OA403", "a.test"), ("OA404", "a.test"),
                                      ("OA204", "b.test")],
                          "absent": [("OA203", "c.test"), ("OA204", "a.test")]},
    "macros": {"present": [("OA201", "nochain.test"), ("OA203", "noocsp.test"),
                           ("OA205", "pair-two.test"), ("OA303", "insite.test"),
                           ("OA201", "direct.test")],
               "absent": [("OA201", "good.test"), ("OA201", "insite.test")]},
    "includes": {"present": [("OA201", "good.test"), ("OA203", "inner.test"),
                             ("OA205", "space.test"), ("OA104", "space.test")],
                 "absent": [("*", "plain.test")]},
    "defines": {"present": [("OA201", "fromenv.test"), ("OA303", "soon.test"),
                            ("OA203", "iffile.test")],
                "absent": [("*", "never.test"), ("*", "${OA_CASE_NAME}.test")]},
    # the main server's certificate, inherited by main.test's vhost: one finding about the
    # server (vhost null) at its SSLCertificateFile, naming both
    "main-server-ssl": {"present": [("OA201", None), ("OA203", "default.test"),
                                    ("OA104", "multi.test")],
                        "absent": [("*", "nossl.test")]},
    "suppression": {"present": [("OA401", "loud.test")],
                    "absent": [("OA104", "quiet.test"), ("OA201", "loud.test")]},
    "skip-and-expiry": {"present": [("OA201", "good.test")], "rules": ["OA201"]},
    "select": {"present": [("OA201", "good.test"), ("OA203", "noocsp.test"),
                           ("OA303", "soon.test")],
               "rules": ["OA201", "OA203", "OA303"]},
    "mod-md": {"present": [("OA501", "md.test"), ("OA201", "notmd.test")],
               "absent": [("OA101", "*")]},
    "include-paths": {"present": [("OA201", "a.test"), ("OA203", "b.test"), ("OA201", "c.test"),
                                  ("OA205", "d.test")]},
    "continued-lines": {"present": [("OA201", "cont.test"), ("OA104", "off.test")]},
    "suppression-continued": {"present": [("OA201", "loud.test")],
                              "absent": [("OA201", "quiet.test"), ("OA104", "quietvh.test")]},
    "vhost-variants": {"present": [("OA201", None), ("OA203", "Scheme.Test"),
                                   ("OA205", "optional.test"), ("OA303", "twice.test")]},
    "main-server-include-first": {"present": [("OA104", "main.test")]},
    "main-server-with-C": {"present": [("OA104", "main.test")]},
}


def check_expectations(findings, expect, stderr):
    found = {(f["rule"], f["vhost"]) for f in findings}
    missing = [p for p in expect.get("present", ()) if p not in found]
    unwanted = sorted({(r, v) for (r, v) in found for (ar, av) in expect.get("absent", ())
                       if ar in ("*", r) and av in ("*", v)}, key=str)
    problems = [f"missing {p}" for p in missing] + [f"unexpected {p}" for p in unwanted]
    if "rules" in expect and sorted({r for r, _ in found}) != sorted(expect["rules"]):
        problems.append(f"rules {sorted({r for r, _ in found})}, expected {expect['rules']}")
    assert not problems, "\n".join(problems) + "\n\n" + stderr


@pytest.mark.needs_lint
@pytest.mark.parametrize("name", sorted(OWN_CASES))
def test_same_findings_own_configs(oa_module, lint_bin, pki, workdir, free_port, name):
    case = OWN_CASES[name]
    root, conf = _render_case(name, case, workdir, pki, free_port)
    _compare_hosts(root, conf, case.get("defines", ()), case.get("env"),
                   pre=case.get("pre", ()), module_post=case.get("module_post", ()),
                   lint_options=case.get("lint_options", ()),
                   expect=OWN_EXPECT[name])


def _rules_configs():
    return sorted(glob.glob(str(M.RULES_DIR / "*" / "*.conf")))


@pytest.fixture(scope="session")
def rules_env():
    """The environment tests/rules/run.py gives its cases: OA_TEST_PKI (its PKI: the
    script's plus the extra files the cases name), OA_TEST_RUN, OA_TEST_PORT,
    OA_TEST_OCSP_URL."""
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    d = Path(tempfile.mkdtemp(prefix="oa-it-rules-"))
    d.chmod(0o755)
    try:
        ocsp_port = H.free_port()
        pki = M.make_rules_pki(d / "pki", ocsp_port)
        (d / "run").mkdir()
        yield {"OA_TEST_PKI": str(pki), "OA_TEST_RUN": str(d / "run"),
               "OA_TEST_PORT": str(H.free_port()),
               "OA_TEST_OCSP_URL": f"http://127.0.0.1:{ocsp_port}/"}
    finally:
        if not os.environ.get("OA_KEEP_TMP"):
            shutil.rmtree(d, ignore_errors=True)


@pytest.mark.needs_lint
@pytest.mark.parametrize("path", _rules_configs() or [pytest.param(None, marks=pytest.mark.skip(
    reason=f"no {M.RULES_DIR}/*/*.conf yet"))],
    ids=lambda p: os.path.relpath(p, M.RULES_DIR) if p else "none")
def test_same_findings_rules_configs(oa_module, lint_bin, rules_env, path):
    """The per-rule configs of tests/rules/*/, read in place with ServerRoot their
    directory and the environment run.py gives them (${OA_TEST_PKI} ...). A config
    without an MPM gets mod_mpm_event with -C (for httpd and ocsp-lint alike)."""
    conf = Path(path)
    pre = []
    r = M.configtest(conf.parent, conf, env=rules_env)
    if r.returncode != 0 and "No MPM loaded" in r.stderr:
        pre = [M.mpm_directive("event")]
    _compare_hosts(conf.parent, conf, env=rules_env, pre=pre)


@pytest.mark.needs_lint
def test_same_findings_conditionals_tree(oa_module, lint_bin, make_tree):
    tree = make_tree("conditionals")
    _compare_hosts(tree.root, tree.conf, tree.defines, tree.env)


@pytest.mark.needs_lint
def test_same_findings_debian_copy(oa_module, lint_bin, debian_tree):
    """Debian's /etc/apache2 with default-ssl (the conftest's self-signed certificate)."""
    t = debian_tree
    _compare_hosts(t.root, t.conf, env=t.env)


# --------------------------------------------------------------------------- 4. graceful

def test_graceful_restart_reaudits(oa_module, pki, responder, workdir, free_port,
                                   httpd_instance):
    root = workdir / "graceful"
    port = free_port()
    cert = root / "certs" / "site.pem"
    conf = write_conf(root, M.base_config(root, audit=True) + "\n"
                      + f'SSLStaplingCache "shmcb:{root}/run/stapling(65536)"\n'
                      + f"Listen 127.0.0.1:{port}\n"
                      + ssl_vhost(f"127.0.0.1:{port}", "good.test", cert, f"{pki}/good.key",
                                  "    SSLUseStapling on\n"))
    cert.parent.mkdir(exist_ok=True)
    shutil.copyfile(pki / "good-fullchain.pem", cert)
    cert.chmod(0o644)
    line = M.line_of(conf, "SSLCertificateFile")

    inst = httpd_instance(root, conf, ports=[port])
    assert M.wait_for(lambda: M.summaries(inst.error_log_text()), 10), inst.diagnostics()
    log = inst.error_log_text()
    check_clean_audit(log, "start")
    assert staple_status(port, "good.test", pki) == ("successful", "good"), inst.diagnostics()

    shutil.copyfile(pki / "good.pem", cert)      # the chain is now incomplete
    os.kill(inst.pid, signal.SIGUSR1)            # apache2 -k graceful
    def restarted():
        text = inst.error_log_text()
        if "Doing graceful restart" not in text:
            return False
        after = text.split("Doing graceful restart", 1)[1]
        return bool(M.summaries(after)) and "resuming normal operations" in after
    assert M.wait_for(restarted, 30), inst.diagnostics()
    assert inst.running()
    assert tls_handshake(port, "good.test")
    # what OA201 predicts: the server no longer staples
    assert staple_status(port, "good.test", pki) == (None, None), inst.diagnostics()
    inst.stop()

    log = inst.error_log_text()
    assert "SIGUSR1 received.  Doing graceful restart" in log
    findings = only_findings(log)
    assert [(f["rule"], f["severity"], f["level"], f["file"], f["line"]) for f in findings
            if f["rule"] == "OA201" or f["severity"] == "error"] == \
        [("OA201", "error", "error", str(conf), line)], log
    s = M.summaries(log)
    assert [(m or {}).get("when") for _, m in s] == ["start", "restart"], \
        "summary lines:\n" + "\n".join(ll.raw for ll, _ in s)
    # the finding comes after the restart began, before the restart's summary
    before, after = log.split("Doing graceful restart", 1)
    assert "OA201" not in before and "OA201" in after
    assert M.bad_lines(log, EXPECTED_NO_ISSUER) == [], log


# --------------------------------------------------------------------------- 5. no SSL

@pytest.mark.parametrize("ssl_loaded, expected", [
    pytest.param(False, "OA00003: mod_ocsp_audit: mod_ssl is not loaded, nothing to audit",
                 id="no-mod_ssl"),
    pytest.param(True, "OA00003: mod_ocsp_audit: no virtual host has SSLEngine on, "
                       "nothing to audit", id="no-ssl-vhost"),
])
def test_nothing_to_audit(oa_module, workdir, free_port, httpd_instance, ssl_loaded, expected):
    root = workdir / "nossl"
    port = free_port()
    conf = write_conf(root, M.base_config(root, ssl=ssl_loaded, audit=True)
                      + f"Listen 127.0.0.1:{port}\n"
                      + f"<VirtualHost 127.0.0.1:{port}>\n    ServerName plain.test\n"
                        "</VirtualHost>\n")
    r = M.configtest(root, conf, with_module=False)
    assert_syntax_ok(r)
    assert [(ll.level, ll.msg) for ll in M.module_lines(r.stderr)] == [("info", expected)], \
        r.stderr

    inst = httpd_instance(root, conf, ports=[port])
    time.sleep(1.5)      # past the module's first probe round, were there anything to probe
    inst.stop()
    log = inst.error_log_text()
    assert [(ll.level, ll.msg) for ll in M.module_lines(log)] == [("info", expected)], log
    assert M.bad_lines(log) == [], log


# --------------------------------------------------------------------------- 6. bad values

@pytest.mark.parametrize("directive, in_vhost, needles", [
    pytest.param("OcspAuditExpiryDays abc", False, ["OcspAuditExpiryDays", "'abc'"],
                 id="expiry-abc"),
    pytest.param("OcspAuditExpiryDays 0", False, ["OcspAuditExpiryDays", "'0'"],
                 id="expiry-0"),
    pytest.param("OcspAuditExpiryDays 3651", False, ["OcspAuditExpiryDays", "'3651'"],
                 id="expiry-3651"),
    pytest.param("OcspAuditSelect OA999", False, ["OcspAuditSelect", "OA999"],
                 id="select-unknown"),
    pytest.param("OcspAuditSelect OA101,OA999", False, ["OcspAuditSelect", "OA999"],
                 id="select-list-unknown"),
    pytest.param("OcspAuditSkip no-such-rule", False, ["OcspAuditSkip", "no-such-rule"],
                 id="skip-unknown"),
    pytest.param("OcspAudit maybe", False, ["OcspAudit must be On or Off"], id="audit-maybe"),
    pytest.param("OcspAuditStrict 1", False, ["OcspAuditStrict must be On or Off"],
                 id="strict-1"),
    pytest.param("OcspAudit On", True, ["OcspAudit cannot occur within <VirtualHost> section"],
                 id="audit-in-vhost"),
    pytest.param("OcspAuditStrict On", True,
                 ["OcspAuditStrict cannot occur within <VirtualHost> section"],
                 id="strict-in-vhost"),
    pytest.param("OcspAuditSelect OA201", True,
                 ["OcspAuditSelect cannot occur within <VirtualHost> section"],
                 id="select-in-vhost"),
    pytest.param("OcspAuditSkip OA201", True,
                 ["OcspAuditSkip cannot occur within <VirtualHost> section"],
                 id="skip-in-vhost"),
    pytest.param("OcspAuditExpiryDays 30", True,
                 ["OcspAuditExpiryDays cannot occur within <VirtualHost> section"],
                 id="expiry-in-vhost"),
    # the status probes' directives
    pytest.param("OcspAuditProbe sometimes", False, ["OcspAuditProbe must be On or Off"],
                 id="probe-sometimes"),
    pytest.param("OcspAuditProbeInterval 4", False, ["OcspAuditProbeInterval", "'4'"],
                 id="probe-interval-4"),
    pytest.param("OcspAuditProbeTimeout 5s", False, ["OcspAuditProbeTimeout", "'5s'"],
                 id="probe-timeout-5s"),
    pytest.param("OcspAuditProbeConcurrency 0", False, ["OcspAuditProbeConcurrency", "'0'"],
                 id="probe-concurrency-0"),
    pytest.param("OcspAuditProbe Off", True,
                 ["OcspAuditProbe cannot occur within <VirtualHost> section"],
                 id="probe-in-vhost"),
    pytest.param("OcspAuditProbeInterval 60", True,
                 ["OcspAuditProbeInterval cannot occur within <VirtualHost> section"],
                 id="probe-interval-in-vhost"),
])
def test_bad_directive_is_config_error(oa_module, pki, workdir, free_port, directive, in_vhost,
                                       needles):
    root = workdir / "bad"
    port = free_port()
    text = M.base_config(root, audit=True) + "\n" + f"Listen 127.0.0.1:{port}\n"
    body = "    SSLUseStapling on\n"
    if in_vhost:
        body += f"    {directive}\n"
    else:
        text += directive + "\n"
    text += ssl_vhost(f"127.0.0.1:{port}", "good.test", f"{pki}/good-fullchain.pem",
                      f"{pki}/good.key", body)
    conf = write_conf(root, text)
    line = M.line_of(conf, directive)
    r = M.configtest(root, conf, with_module=False)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "Syntax OK" not in out
    assert f"Syntax error on line {line} of {conf}:" in out, out
    for n in needles:
        assert n in out, out
    assert "OA000" not in out      # the audit never ran


# --------------------------------------------------------------------------- 7. speed

def test_startup_speed_2000_vhosts(oa_module, pki, workdir, free_port, capsys):
    root = workdir / "many"
    port = free_port()
    certs = ["good", "noocsp", "muststaple", "soon", "revoked"]
    parts = [M.base_config(root),
             f'SSLStaplingCache "shmcb:{root}/run/stapling(1024000)"\n',
             f"Listen 127.0.0.1:{port}\n"]
    for i in range(2000):
        c = certs[i % len(certs)]
        parts.append(ssl_vhost(f"*:{port}", f"site{i}.test", f"{pki}/{c}-fullchain.pem",
                               f"{pki}/{c}.key", "    SSLUseStapling on\n"))
    conf = write_conf(root, "".join(parts))

    # timed at the config's own log level (warn): what an admin's configtest costs
    t_without, rs_without = M.median_time(lambda: M.configtest(root, conf, with_module=False))
    t_with, rs_with = M.median_time(lambda: M.configtest(root, conf, loglevel=None))
    with capsys.disabled():
        print(f"\napache2 -t, 2000 SSL vhosts sharing 5 certificates (median of 3 runs): "
              f"without mod_ocsp_audit {t_without:.3f}s, with {t_with:.3f}s")
    for r in rs_without + rs_with:
        assert_syntax_ok(r)
    for r in rs_without:
        assert "OA000" not in r.stderr
    # once more, untimed, with the module's summary visible: it audited every vhost
    r = M.configtest(root, conf)
    assert_syntax_ok(r)
    ll, m = one_summary(r.stderr, "configtest")
    assert m["vhosts"] == "2000", ll.raw
