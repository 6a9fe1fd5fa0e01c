"""Trees that could make a reader walk or build for ever end as promptly as httpd ends
them, with httpd's file:line and message; and envvars the way Debian's apache2ctl reads it.
"""

import os
import subprocess
import time

import pytest

import httpd as H

from test_parse_errors_vs_httpd import write as write_tree

BUDGET = 10   # seconds: httpd needs well under one for each of these


def write(workdir, body, files=None):
    """The tree with HEAD (test_parse_errors_vs_httpd), the other files as they are."""
    return write_tree(workdir, body, files, format_files=False)


def lint(root, conf, *extra):
    t = time.monotonic()
    r = H.run_lint(["--vhosts", "--format", "json", "--no-envvars", "-d", root, *extra, conf],
                   timeout=BUDGET * 3)
    return r, time.monotonic() - t


def assert_same_error(root, conf):
    h = H.httpd_check(root, conf)
    herr = H.parse_httpd_syntax_error(h.stdout + h.stderr)
    assert h.returncode != 0 and herr, h.stderr
    r, took = lint(root, conf)
    lerr = H.parse_lint_error(r.stderr)
    assert r.returncode == 3 and lerr, r.stderr
    assert lerr[:2] == herr[:2], f"httpd: {herr}\nocsp-lint: {lerr}"
    # httpd's error log writes the message's newline and tab as \n and \t
    assert lerr[2] == herr[2].split("\\n")[0], f"httpd: {herr[2]}\nocsp-lint: {lerr[2]}"
    assert took < BUDGET, f"ocsp-lint took {took:.1f}s"


@pytest.mark.needs_lint
def test_symlink_loops_in_included_directory(lint_bin, httpd_bin, workdir):
    root, conf = write(workdir, "Include {root}/inc\n", {"inc/a.conf": "ServerAdmin a@b.test\n"})
    for name in ("x", "y", "z"):          # three loops: 3^40 paths if walked
        os.symlink(".", root / "inc" / name)
    assert_same_error(root, conf)


@pytest.mark.needs_lint
def test_macro_line_over_mod_macro_limit(lint_bin, httpd_bin, workdir):
    # 8,190 characters and the newline fill mod_macro's 8,192-byte buffer; one more ends it
    root, conf = write(workdir, "<Macro M $a>\nServerAdmin $a\n    # " + "x" * 8185 +
                       "\n</Macro>\nUse M a@b.test\n")
    assert_same_error(root, conf)


@pytest.mark.needs_lint
def test_macro_line_at_mod_macro_limit(lint_bin, httpd_bin, workdir):
    root, conf = write(workdir, "<Macro M $a>\nServerAdmin $a\n    # " + "x" * 8184 +
                       "\n</Macro>\nUse M a@b.test\n")
    H.assert_httpd_syntax_ok(root, conf)
    r, _ = lint(root, conf)
    assert r.returncode in (0, 1), r.stderr


@pytest.mark.needs_lint
@pytest.mark.parametrize("size", [8178, 8179])
def test_macro_substitution_limit(lint_bin, httpd_bin, workdir, size):
    root, conf = write(workdir, "<Macro M $a>\n# comment\n\nServerAdmin $a\n</Macro>\n"
                       "Use M " + "y" * size + "\n")
    h = H.httpd_check(root, conf)
    if h.returncode == 0:
        r, _ = lint(root, conf)
        assert r.returncode in (0, 1), r.stderr
    else:
        assert_same_error(root, conf)


@pytest.mark.needs_lint
def test_huge_macro_use_is_prompt(lint_bin, httpd_bin, workdir):
    # 60 KB of arguments, each used 8 times: refused at the first line, not built
    root, conf = write(workdir, "<Macro M $a>\nServerAdmin $a$a$a$a$a$a$a$a\n</Macro>\n"
                       "Use M " + "y" * 60000 + "\n")
    assert_same_error(root, conf)


@pytest.mark.needs_lint
def test_macro_argument_never_used_warns(lint_bin, httpd_bin, workdir):
    root, conf = write(workdir, "<Macro M $a $unused>\nServerAdmin $a\n</Macro>\n"
                       "Use M a@b.test c\n")
    out = H.assert_httpd_syntax_ok(root, conf)
    assert "AH02800: macro 'm' (defined on line 7 of" in out, out
    want = out.split("AH02800: ")[1].splitlines()[0]
    r = H.run_lint(["--vhosts", "--no-envvars", "-d", root, conf])
    assert r.returncode in (0, 1), r.stderr
    assert f"{conf}:7: warning: {want}" in r.stderr, f"httpd: {want}\nocsp-lint: {r.stderr}"


@pytest.mark.needs_lint
def test_fifo_as_envvars_refused_at_once(lint_bin, workdir):
    root, conf = write(workdir, "")
    fifo = workdir / "envvars"
    os.mkfifo(fifo)
    t = time.monotonic()
    r = H.run_lint(["--vhosts", "-d", root, "--envvars", fifo, conf], timeout=BUDGET)
    assert time.monotonic() - t < BUDGET
    assert r.returncode == 2, r
    assert f"{fifo}: error: cannot read envvars: not a regular file" in r.stderr, r.stderr


@pytest.mark.needs_lint
def test_envvars_several_exports_on_a_line(lint_bin, httpd_bin, workdir):
    """Debian's apache2ctl sources envvars; `export A=1 B=2` defines both."""
    root, conf = write(workdir, "<VirtualHost 127.0.0.1:{port}>\nServerName ${{OA_A}}.test\n"
                       "ServerAlias ${{OA_B}}.test\n</VirtualHost>\n")
    envvars = workdir / "envvars"
    envvars.write_text("export OA_A=first OA_B=second\n")
    env = subprocess.run(["sh", "-c", f". {envvars}; env"], capture_output=True, text=True,
                         env=H.minimal_env()).stdout
    shell = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
    assert shell["OA_A"] == "first" and shell["OA_B"] == "second"
    dump = H.httpd_dump(root, conf, env={"OA_A": "first", "OA_B": "second"})
    assert "first.test" in dump, dump
    r = H.run_lint(["--vhosts", "--format", "json", "-d", root, "--envvars", envvars, conf])
    assert r.returncode in (0, 1), r.stderr
    names = [(v.get("name"), v.get("aliases")) for v in r.data["vhosts"]]
    assert ("first.test", ["second.test"]) in names, names
