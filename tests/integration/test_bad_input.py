"""ocsp-lint on bad input: missing or odd main configs, binary data, huge lines, deep
nesting, broken sections, include cycles, missing includes, 10,000 included files,
undefined ${VAR}s and usage errors.

Every case asserts the exact exit code (0 clean, 1 findings, 2 usage or I/O error, 3 the
config cannot be parsed), that stderr says FILE:LINE (or FILE) and what is wrong, that
ocsp-lint ends within LINT_TIMEOUT seconds (a timeout is a failure, not a skip) and that it
did not crash (no negative exit code, no sanitizer report).

Where the comparison means something, the same input is also given to `httpd -t`, wrapped
in a main config that httpd can load (an MPM, ServerRoot/PidFile/ErrorLog in the test's
directory): ocsp-lint must exit 3 exactly when httpd reports a syntax error. What httpd
said is printed (see it with `pytest -rA` or on failure).

Big inputs are made at test time in tmp_path; nothing big is committed.

Environment: OCSP_LINT (default /work/build/lint/ocsp-lint), HTTPD (default
/usr/sbin/apache2), APXS (see httpd.py, for the module directory). Without root where
possible: the one case that needs an unreadable file is skipped as root, and replaced by
a run as an unprivileged user (setpriv) when that is possible.

Run:  /usr/bin/python3 -m pytest tests/integration/test_bad_input.py   (project root)
"""

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import schemas

import httpd as H

LINT_TIMEOUT = 20      # seconds; every case must finish well within this
HTTPD_TIMEOUT = 120    # httpd is only the reference; it is allowed more

_RE_ERROR = re.compile(r"^(.+?):(\d+): error: (.*)$", re.M)
_RE_FILE_ERROR = re.compile(r"^(.+?): error: (.*)$", re.M)
_CRASH_MARKERS = ("Sanitizer", "runtime error:", "Segmentation fault", "core dumped")


# --------------------------------------------------------------------------- helpers

lint_path, httpd_path = H.lint_binary, H.httpd_binary


class Run:
    """One finished process: rc, stdout, stderr (text, undecodable bytes replaced)."""

    def __init__(self, cmd, rc, stdout, stderr):
        self.cmd, self.rc, self.stdout, self.stderr = cmd, rc, stdout, stderr

    def __repr__(self):
        return (f"$ {' '.join(self.cmd)}\nexit {self.rc}\n"
                f"stderr: {self.stderr[:2000]}\nstdout: {self.stdout[:500]}")


def _run(cmd, timeout, what, prefix=()):
    cmd = [str(c) for c in cmd]
    try:
        p = subprocess.run(list(prefix) + cmd, capture_output=True, env=H.minimal_env(),
                           stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} did not finish within {timeout}s: {' '.join(cmd)}")
    return Run(cmd, p.returncode,
               p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"))


def lint(*args, prefix=()):
    """Run ocsp-lint; fails the test on a timeout or a crash."""
    r = _run([lint_path()] + list(args), LINT_TIMEOUT, "ocsp-lint", prefix)
    assert r.rc >= 0, f"ocsp-lint was killed by signal {-r.rc}\n{r!r}"
    assert r.rc not in (134, 139), f"ocsp-lint crashed\n{r!r}"
    for marker in _CRASH_MARKERS:
        assert marker not in r.stderr, f"ocsp-lint crashed ({marker})\n{r!r}"
    schemas.check(args, r.stdout)
    return r


def httpd_t(root, conf, prefix=()):
    """`httpd -t -d root -f conf`; the Run is printed for the record."""
    r = _run([httpd_path(), "-t", "-d", root, "-f", conf], HTTPD_TIMEOUT, "httpd -t", prefix)
    print(f"httpd -t: exit {r.rc}: {(r.stdout + r.stderr)[-1500:]}")
    return r


def httpd_syntax_error(r):
    """True when httpd -t refused the config with a syntax error (not e.g. a crash)."""
    return r.rc > 0 and "Syntax error" in (r.stdout + r.stderr)


def lint_error(r):
    """(file, line, message) of ocsp-lint's first "FILE:LINE: error: MESSAGE", or None."""
    m = _RE_ERROR.search(r.stderr)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else None


def lint_conf(root, conf, *extra):
    return lint("--no-envvars", "-d", root, *extra, conf)


@pytest.fixture(scope="session")
def lint_exe(lint_bin):
    """conftest's lint_bin (skipped, or failed with OA_REQUIRE_LINT, when not built)."""
    return lint_bin


@pytest.fixture(scope="session")
def httpd_exe(httpd_bin):
    """conftest's httpd_bin (skipped, or failed with OA_REQUIRE_*, when missing)."""
    return httpd_bin


HEAD = """\
ServerRoot "{root}"
ErrorLog "{root}/error.log"
PidFile "{root}/httpd.pid"
DefaultRuntimeDir "{root}"
LoadModule mpm_event_module "{modules}/mod_mpm_event.so"
LoadModule authz_core_module "{modules}/mod_authz_core.so"
ServerName main.test
Listen 127.0.0.1:{port}
"""


class Case:
    """A config rooted at tmp_path/conf: main.conf = HEAD + body; files relative to it."""

    def __init__(self, tmp_path, body="Include bad.conf\n", files=None):
        self.root = tmp_path / "conf"
        self.root.mkdir()
        self.values = {"root": self.root, "modules": H.module_dir(), "port": H.free_port()}
        self.conf = self.root / "main.conf"
        self.head_lines = HEAD.count("\n")
        self.conf.write_text(HEAD.format(**self.values) + body)
        for name, data in (files or {}).items():
            self.write(name, data)

    def path(self, name):
        return self.root / name

    def write(self, name, data):
        p = self.root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            p.write_bytes(data)
        else:
            p.write_text(data)
        return p

    def lint(self, *extra):
        return lint_conf(self.root, self.conf, *extra)

    def httpd(self):
        return httpd_t(self.root, self.conf)


def expect_parse_error(r, file, line, *needles):
    """ocsp-lint exited 3 with "FILE:LINE: error: ..." holding every needle."""
    assert r.rc == 3, f"expected exit 3 (cannot parse)\n{r!r}"
    err = lint_error(r)
    assert err, f"no 'FILE:LINE: error: MESSAGE' on stderr\n{r!r}"
    assert (err[0], err[1]) == (str(file), line), f"wrong place {err[0]}:{err[1]}\n{r!r}"
    for n in needles:
        assert n in err[2], f"message lacks {n!r}: {err[2][:500]}"
    return err


def agree_with_httpd(r, h):
    """ocsp-lint exits 3 iff httpd -t reports a syntax error."""
    assert h.rc >= 0, f"httpd -t crashed (signal {-h.rc}): the comparison is meaningless\n{h!r}"
    assert (r.rc == 3) == httpd_syntax_error(h), (
        f"ocsp-lint exit {r.rc} but httpd -t exit {h.rc}:\n"
        f"httpd: {(h.stdout + h.stderr)[-1500:]}\nocsp-lint: {r.stderr[:1500]}")


def expect_clean(r):
    assert r.rc == 0, f"expected exit 0\n{r!r}"
    assert not _RE_ERROR.search(r.stderr), f"an error on stderr despite exit 0\n{r!r}"


# --------------------------------------------------------------------------- main config

def test_main_config_missing(lint_exe, httpd_exe, tmp_path):
    conf = tmp_path / "nope.conf"
    r = lint_conf(tmp_path, conf)
    assert r.rc == 2, r
    assert f"{conf}: error: " in r.stderr, r
    assert "Could not open configuration file" in r.stderr and "No such file" in r.stderr, r
    h = httpd_t(tmp_path, conf)
    assert h.rc != 0 and "Could not open configuration file" in h.stderr, h


def _unreadable_main(d):
    conf = d / "main.conf"
    conf.write_text("ServerName main.test\n")
    conf.chmod(0)
    return conf


def _check_unreadable(r, conf):
    assert r.rc == 2, r
    assert f"{conf}: error: " in r.stderr, r
    assert "Permission denied" in r.stderr, r


def test_main_config_unreadable(lint_exe, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can read a mode 000 file (see test_main_config_unreadable_as_nobody)")
    conf = _unreadable_main(tmp_path)
    try:
        _check_unreadable(lint_conf(tmp_path, conf), conf)
    finally:
        conf.chmod(0o644)


def test_main_config_unreadable_as_nobody(lint_exe, httpd_exe):
    """The same as root: run ocsp-lint (and httpd) as nobody via setpriv."""
    if os.geteuid() != 0:
        pytest.skip("only as root (test_main_config_unreadable covers other users)")
    setpriv = shutil.which("setpriv")
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        nobody = None
    if not setpriv or not nobody:
        pytest.skip("needs setpriv and a 'nobody' user")
    d = Path(tempfile.mkdtemp(prefix="oa-bad-input-"))
    try:
        d.chmod(0o755)
        conf = _unreadable_main(d)
        prefix = [setpriv, f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                  "--clear-groups"]
        r = lint("--no-envvars", "-d", d, conf, prefix=prefix)
        if r.rc in (126, 127):
            pytest.skip(f"nobody cannot run {lint_exe}")
        _check_unreadable(r, conf)
        h = httpd_t(d, conf, prefix=prefix)
        assert h.rc != 0 and "Permission denied" in h.stderr, h
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_main_config_is_a_directory(lint_exe, httpd_exe, tmp_path):
    conf = tmp_path / "main.conf"
    conf.mkdir()
    r = lint_conf(tmp_path, conf)
    assert r.rc == 2, r
    assert f"{conf}: error: " in r.stderr, r
    assert "Could not open configuration file" in r.stderr, r
    h = httpd_t(tmp_path, conf)
    assert h.rc != 0, f"httpd -t accepted a directory as its main config\n{h!r}"


# --------------------------------------------------------------------------- file contents

def test_binary_data(lint_exe, httpd_exe, tmp_path):
    with open(httpd_exe, "rb") as f:
        blob = f.read(64 * 1024)
    c = Case(tmp_path, files={"bad.conf": blob})
    r = c.lint()
    expect_parse_error(r, c.path("bad.conf"), 1, "Invalid command")
    # httpd reads the whole tree before it runs any directive, and splits lines holding a
    # NUL byte into 199-byte pieces: it fails too, but elsewhere in the file (on this
    # machine: "<> was not closed" on its line 209). Only the verdict is compared.
    agree_with_httpd(r, c.httpd())


def test_nul_byte_in_a_text_line(lint_exe, httpd_exe, tmp_path):
    """httpd reads a line up to its first NUL byte and drops the rest of the line:
    `ServerAdmin a@b.test<NUL>junk` is `ServerAdmin a@b.test` and httpd -t says Syntax OK.
    Exit 3 means "httpd would refuse it too" (docs/ocsp-lint.md), so ocsp-lint must not
    exit 3 here (a warning about the NUL byte is welcome)."""
    c = Case(tmp_path, files={"bad.conf": b"ServerAdmin a@b.test\0junk\nServerName x.test\n"})
    r = c.lint()
    h = c.httpd()
    assert h.rc == 0, h
    agree_with_httpd(r, h)
    assert r.rc == 0, r


def test_line_of_2mb_is_accepted(lint_exe, httpd_exe, tmp_path):
    c = Case(tmp_path, files={"bad.conf": "ServerAdmin " + "a" * (2 * 1024 * 1024) + "\n"})
    r = c.lint()
    expect_clean(r)
    agree_with_httpd(r, c.httpd())


def test_line_of_17mb_is_too_long(lint_exe, httpd_exe, tmp_path):
    c = Case(tmp_path, files={"bad.conf": "ServerAdmin " + "a" * (17 * 1024 * 1024) + "\n"})
    r = c.lint()
    expect_parse_error(r, c.path("bad.conf"), 1, "Line too long")
    h = c.httpd()
    agree_with_httpd(r, h)
    assert "Line too long" in h.stderr


@pytest.mark.parametrize("length,ok", [(16 * 1024 * 1024 - 1, True),
                                       (16 * 1024 * 1024, False)])
def test_line_length_limit_is_httpds(lint_exe, httpd_exe, tmp_path, length, ok):
    """httpd takes lines of up to 16 MiB - 1 characters (without the newline)."""
    c = Case(tmp_path, files={"bad.conf": "ServerAdmin " + "a" * (length - 12) + "\n"})
    r = c.lint()
    if ok:
        expect_clean(r)
    else:
        expect_parse_error(r, c.path("bad.conf"), 1, "Line too long")
    agree_with_httpd(r, c.httpd())


# --------------------------------------------------------------------------- nesting

def test_3000_nested_ifmodule(lint_exe, httpd_exe, tmp_path):
    n = 3000
    c = Case(tmp_path, files={"bad.conf": "<IfModule mod_so.c>\n" * n
                              + "ServerAdmin deep@example.test\n" + "</IfModule>\n" * n})
    r = c.lint()
    expect_clean(r)
    agree_with_httpd(r, c.httpd())


def test_3000_nested_location(lint_exe, httpd_exe, tmp_path):
    """httpd refuses the second <Location>: "<Location not allowed in <Location> context"
    (AH00526, on line 2). ocsp-lint must say the same at the same place."""
    n = 3000
    c = Case(tmp_path, files={"bad.conf": "<Location /x>\n" * n + "</Location>\n" * n})
    r = c.lint()
    h = c.httpd()
    agree_with_httpd(r, h)
    expect_parse_error(r, c.path("bad.conf"), 2, "<Location not allowed in <Location> context")


@pytest.mark.parametrize("outer,inner,message", [
    ("Location /x", "Location /y", "<Location not allowed in <Location> context"),
    ("Location /x", "Directory /y", "<Directory not allowed in <Location> context"),
    ("Directory /x", "Location /y", "<Location not allowed in <Directory> context"),
    ("Directory /x", "Directory /y", "<Directory not allowed in <Directory> context"),
    ("LocationMatch /x", "Location /y", "<Location not allowed in <LocationMatch> context"),
    ("Location /x", "Files y", "<Files> cannot occur within <Location> section"),
], ids=["location-in-location", "directory-in-location", "location-in-directory",
        "directory-in-directory", "location-in-locationmatch", "files-in-location"])
def test_section_in_wrong_section(lint_exe, httpd_exe, tmp_path, outer, inner, message):
    """The small form of the nested <Location> case, and its relatives."""
    o, i = outer.split()[0], inner.split()[0]
    c = Case(tmp_path, files={"bad.conf": f"<{outer}>\n<{inner}>\n</{i}>\n</{o}>\n"})
    r = c.lint()
    h = c.httpd()
    agree_with_httpd(r, h)
    assert message in h.stderr, h
    expect_parse_error(r, c.path("bad.conf"), 2, message)


# --------------------------------------------------------------------------- sections

def test_unterminated_virtualhost(lint_exe, httpd_exe, tmp_path):
    c = Case(tmp_path, files={"bad.conf": "ServerAdmin a@b.test\n<VirtualHost *:80>\n"
                                          "ServerName a.test\n"})
    r = c.lint()
    expect_parse_error(r, c.path("bad.conf"), 2, "<VirtualHost> was not closed")
    agree_with_httpd(r, c.httpd())


def test_unmatched_close(lint_exe, httpd_exe, tmp_path):
    c = Case(tmp_path, files={"bad.conf": "ServerAdmin a@b.test\n</VirtualHost>\n"})
    r = c.lint()
    expect_parse_error(r, c.path("bad.conf"), 2,
                       "</VirtualHost> without matching <VirtualHost> section")
    agree_with_httpd(r, c.httpd())


def test_mismatched_close(lint_exe, httpd_exe, tmp_path):
    c = Case(tmp_path, files={"bad.conf": "<VirtualHost *:80>\nServerName a.test\n"
                                          "</Directory>\n"})
    r = c.lint()
    expect_parse_error(r, c.path("bad.conf"), 3,
                       "Expected </VirtualHost> but saw </Directory>")
    agree_with_httpd(r, c.httpd())


# --------------------------------------------------------------------------- includes

def test_include_cycle(lint_exe, httpd_exe, tmp_path):
    c = Case(tmp_path, body="Include a.conf\n",
             files={"a.conf": "Include b.conf\n", "b.conf": "Include a.conf\n"})
    r = c.lint()
    assert r.rc == 3, r
    err = lint_error(r)
    assert err, r
    assert err[0] in (str(c.path("a.conf")), str(c.path("b.conf"))), err
    assert err[2].startswith("Include cycle:"), err
    assert str(c.path("a.conf")) in err[2] and str(c.path("b.conf")) in err[2], err
    agree_with_httpd(r, c.httpd())


def test_include_glob_cycle(lint_exe, httpd_exe, tmp_path):
    """40 files that each include all 40: a naive walk would never end."""
    files = {f"dir/{i:02d}.conf": "Include dir/*.conf\n" for i in range(40)}
    c = Case(tmp_path, body="Include dir/*.conf\n", files=files)
    r = c.lint()
    assert r.rc == 3, r
    err = lint_error(r)
    assert err and err[0].startswith(str(c.path("dir")) + "/"), r
    assert err[2].startswith("Include cycle:"), err
    agree_with_httpd(r, c.httpd())


def _chain(n):
    """main.conf includes chain/1.conf, which includes 2.conf, ... n+1.conf (no cycle)."""
    files = {f"chain/{i}.conf": f"Include chain/{i + 1}.conf\n" for i in range(1, n + 1)}
    files[f"chain/{n + 1}.conf"] = "ServerAdmin last@example.test\n"
    return files


def test_include_chain_at_httpds_depth_limit(lint_exe, httpd_exe, tmp_path):
    """128 distinct files below main.conf, each including the next: httpd accepts it."""
    c = Case(tmp_path, body="Include chain/1.conf\n", files=_chain(127))
    r = c.lint()
    expect_clean(r)
    agree_with_httpd(r, c.httpd())


def test_include_chain_too_deep_is_not_a_cycle(lint_exe, httpd_exe, tmp_path):
    """One level more: httpd stops ("Exceeded maximum include depth of 128"). There is no
    cycle, so ocsp-lint must not call it one."""
    c = Case(tmp_path, body="Include chain/1.conf\n", files=_chain(128))
    r = c.lint()
    h = c.httpd()
    agree_with_httpd(r, h)
    # httpd's own message comes last and is often cut off (it truncates the long chain of
    # "Syntax error on line 1 of ..." prefixes), so only its verdict is compared.
    assert r.rc == 3, r
    err = lint_error(r)
    assert err and err[0].startswith(str(c.path("chain")) + "/"), r
    assert "cycle" not in err[2].lower(), (
        f"a chain of distinct files is not an include cycle: {err[2][:300]}")
    assert "include depth" in err[2].lower(), err


def test_include_missing_file(lint_exe, httpd_exe, tmp_path):
    c = Case(tmp_path, files={"bad.conf": "\nInclude missing.conf\n"})
    r = c.lint()
    expect_parse_error(r, c.path("bad.conf"), 2, "Could not open configuration file",
                       str(c.path("missing.conf")))
    agree_with_httpd(r, c.httpd())


def test_include_wildcard_matching_nothing(lint_exe, httpd_exe, tmp_path):
    c = Case(tmp_path, files={"bad.conf": "Include sites/*.conf\n", "sites/README": "x\n"})
    r = c.lint()
    expect_parse_error(r, c.path("bad.conf"), 1, "No matches for the wildcard", "*.conf")
    agree_with_httpd(r, c.httpd())


def test_include_wildcard_in_missing_directory(lint_exe, httpd_exe, tmp_path):
    c = Case(tmp_path, files={"bad.conf": "Include nodir/*.conf\n"})
    r = c.lint()
    expect_parse_error(r, c.path("bad.conf"), 1, "Could not open directory",
                       str(c.path("nodir")))
    agree_with_httpd(r, c.httpd())


@pytest.mark.parametrize("target", ["missing.conf", "sites/*.conf", "nodir/*.conf"])
def test_include_optional_of_nothing(lint_exe, httpd_exe, tmp_path, target):
    c = Case(tmp_path, files={"bad.conf": f"IncludeOptional {target}\n",
                              "sites/README": "x\n"})
    r = c.lint()
    expect_clean(r)
    agree_with_httpd(r, c.httpd())


def test_wildcard_over_10000_files(lint_exe, httpd_exe, tmp_path):
    body = ("<VirtualHost 127.0.0.1:{port}>\nServerName many.test\nInclude many/*.conf\n"
            "</VirtualHost>\n")
    c = Case(tmp_path, body="")
    with open(c.conf, "a") as f:
        f.write(body.format(**c.values))
    many = c.path("many")
    many.mkdir()
    for i in range(10000):
        text = f"ServerAlias h{i}.many.test\n" if i % 2 == 0 else f"# comment {i}\n"
        (many / f"f{i:05d}.conf").write_text(text)

    r = c.lint()
    expect_clean(r)
    j = c.lint("--vhosts", "--format", "json")
    expect_clean(j)
    data = json.loads(j.stdout)
    files = data["files"]
    assert len(files) == 10001, len(files)
    assert files[0] == str(c.conf)
    assert len(set(files)) == 10001
    vh = [v for v in data["vhosts"] if not v.get("main_server")]
    assert len(vh) == 1 and len(vh[0]["aliases"]) == 5000, [
        (v.get("name"), len(v.get("aliases") or [])) for v in vh]
    agree_with_httpd(r, c.httpd())


# --------------------------------------------------------------------------- ${VAR}

def test_undefined_variable(lint_exe, httpd_exe, tmp_path):
    var = "OA_SURELY_UNDEFINED_VAR"
    c = Case(tmp_path, files={"bad.conf": f"\n\nServerAdmin ${{{var}}}@example.test\n"})
    bad = c.path("bad.conf")
    r = c.lint()
    assert r.rc == 0, r
    # A finding like any other: ocsp-lint prints it with its report (stdout); the brief
    # asked for stderr, so either stream is accepted here.
    out = r.stdout + r.stderr
    m = re.search(rf"^{re.escape(str(bad))}:3: warning: (.*)$", out, re.M)
    assert m, f"no '{bad}:3: warning: ...' in the output\n{r!r}"
    assert f"${{{var}}}" in m.group(1) and "not defined" in m.group(1), m.group(0)

    j = c.lint("--format", "json")
    assert j.rc == 0, j
    diags = json.loads(j.stdout)["diagnostics"]
    assert any(d["severity"] == "warning" and d["file"] == str(bad) and d["line"] == 3
               and var in d["message"] for d in diags), diags

    h = c.httpd()
    assert h.rc == 0 and "AH00111" in h.stderr and var in h.stderr, h
    agree_with_httpd(r, h)

    w = c.lint("--fail-on", "warning")
    assert w.rc == 1, w
    assert f"{bad}:3: warning: " in w.stdout + w.stderr, w


# --------------------------------------------------------------------------- usage

@pytest.fixture
def good_conf(tmp_path):
    conf = tmp_path / "good.conf"
    conf.write_text("ServerName good.test\n")
    return conf


def _usage_error(r, *needles):
    assert r.rc == 2, f"expected exit 2 (usage)\n{r!r}"
    assert r.stderr.strip(), r
    assert "ocsp-lint" in r.stderr, r
    for n in needles:
        assert n in r.stderr, f"stderr lacks {n!r}\n{r!r}"
    assert not r.stdout.strip(), f"output despite a usage error\n{r!r}"


def test_usage_unknown_option(lint_exe, good_conf):
    _usage_error(lint("--no-such-option", good_conf), "--no-such-option")


def test_usage_unknown_short_option(lint_exe, good_conf):
    _usage_error(lint("-Z", good_conf), "-Z")


def test_usage_bad_format(lint_exe, good_conf):
    _usage_error(lint("--format", "nope", good_conf), "nope")


def test_usage_bad_fail_on(lint_exe, good_conf):
    _usage_error(lint("--fail-on", "nope", good_conf), "nope")


def test_usage_option_without_argument(lint_exe):
    _usage_error(lint("--format"), "--format")


def test_usage_two_configs(lint_exe, good_conf, tmp_path):
    other = tmp_path / "other.conf"
    other.write_text("ServerName other.test\n")
    _usage_error(lint("--no-envvars", good_conf, other))


def test_usage_file_option_and_positional(lint_exe, good_conf, tmp_path):
    other = tmp_path / "other.conf"
    other.write_text("ServerName other.test\n")
    _usage_error(lint("--no-envvars", "-f", good_conf, other))


@pytest.mark.parametrize("offset", ["9223372036854775807", "-9223372036854775808",
                                    "99999999999999999999", "3162240001", "-3162240001"])
def test_usage_probe_clock_offset_out_of_range(lint_exe, offset):
    """A huge --clock-offset overflowed the clock (UBSan: signed overflow) and probed on;
    it is a usage error with the range in the message."""
    r = lint("probe", f"--clock-offset={offset}", "127.0.0.1:1")
    _usage_error(r, "--clock-offset", "100 years", offset)


def test_probe_clock_offset_at_its_bounds(lint_exe):
    """The bounds themselves are accepted: the probe runs (nothing listens: exit 1)."""
    for offset in ("3162240000", "-3162240000"):
        r = lint("probe", f"--clock-offset={offset}", "--timeout", "2", "127.0.0.1:1")
        assert r.rc == 1 and "refused" in r.stdout, r


def test_sanity_good_conf(lint_exe, good_conf):
    """The file the usage cases pass is fine on its own: exit 2 came from the usage."""
    r = lint("--no-envvars", "-d", good_conf.parent, good_conf)
    expect_clean(r)


# --------------------------------------------------------------------------- big PEM files

def _big_pem(layout, cert):
    """Over 5 MB: the certificate with comment padding before or after it, or after one
    5 MB line. OpenSSL's PEM reader skips everything outside BEGIN/END blocks."""
    pad = b"".join(b"# padding %07d: comments are fine in a PEM file, whatever their "
                   b"length ..........\n" % i for i in range(66000))
    if layout == "comments-before":
        return pad + cert
    if layout == "comments-after":
        return cert + pad
    return b"x" * (5 * 1024 * 1024) + b"\n" + cert


@pytest.mark.parametrize("layout", ["comments-before", "comments-after", "one-long-line"])
def test_pem_file_over_4mb_loads_as_in_httpd(layout, lint_exe, httpd_exe, test_cert, workdir):
    """httpd has no size limit for certificate files: apache2 starts and serves the
    certificate, and ocsp-lint must not claim that it refuses to start."""
    cert, key = Path(test_cert[0]), Path(test_cert[1])
    c = Case(Path(workdir), body="")
    big = c.write("big.pem", _big_pem(layout, cert.read_bytes()))
    assert big.stat().st_size > 5 * 1024 * 1024
    big.chmod(0o644)
    mods = c.values["modules"]
    with open(c.conf, "a") as f:
        f.write(f'LoadModule ssl_module "{mods}/mod_ssl.so"\n'
                f"<VirtualHost 127.0.0.1:{c.values['port']}>\n"
                "    ServerName secure.test\n    SSLEngine on\n"
                f'    SSLCertificateFile "{big}"\n    SSLCertificateKeyFile "{key}"\n'
                "</VirtualHost>\n")

    r = c.lint("--format", "json")
    assert r.rc == 0, r
    doc = json.loads(r.stdout)
    assert doc["startup"] == "ok", r
    assert not [f for f in doc["findings"] if f["rule"] == "OA305"], r
    (vh,) = [v for v in doc["vhosts"] if v.get("certificates")]
    assert vh["certificates"][0]["subject"] == "CN=secure.test", r

    with H.HttpdInstance(c.root, c.conf, Path(workdir) / "httpd", ports=[c.values["port"]]):
        import ocsp_fixtures as F
        served = F.tls_handshake(c.values["port"], "secure.test", peer_cert=True)
    import ssl
    assert served == ssl.PEM_cert_to_DER_cert(cert.read_text()), "apache2 served another cert"


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-rA"]))
