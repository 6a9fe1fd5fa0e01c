"""Configs httpd refuses: ocsp-lint must refuse them too (exit 3) and point at the same
file:line as httpd's innermost "Syntax error on line N of FILE" (for lines made by a
macro: the outermost Use). The messages are shown, not compared.
"""

import pytest

import httpd as H

HEAD = """\
ErrorLog "{root}/error.log"
PidFile "{root}/httpd.pid"
LoadModule mpm_event_module "{modules}/mod_mpm_event.so"
LoadModule macro_module "{modules}/mod_macro.so"
ServerName main.test
Listen 127.0.0.1:{port}
"""

def write(workdir, body, files=None, format_files=True):
    """WORKDIR/conf/main.conf: HEAD and body ({root}, {modules}, {port} filled in), and the
    other files (filled in too unless format_files is false). Returns (root, conf)."""
    root = workdir / "conf"
    root.mkdir()
    values = {"root": root, "modules": H.module_dir(), "port": H.free_port()}
    conf = root / "main.conf"
    conf.write_text(HEAD.format(**values) + body.format(**values))
    for name, text in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text.format(**values) if format_files else text)
    return root, conf


# id -> (text after HEAD in main.conf, {other file: text})
CASES = {
    "vhost-not-closed": ("<VirtualHost *:{port}>\nServerName a.test\n", {}),
    "stray-close": ("</VirtualHost>\n", {}),
    "not-closed-in-include": ("Include inc.conf\n",
                              {"inc.conf": "<VirtualHost *:{port}>\nServerName a.test\n"}),
    "closed-in-include": ("<VirtualHost *:{port}>\nInclude closer.conf\n",
                          {"closer.conf": "</VirtualHost>\n"}),
    "wrong-close": ("<VirtualHost *:{port}>\nServerName a.test\n</Directory>\n", {}),
    "section-missing-gt": ("<VirtualHost *:{port}\nServerName a.test\n</VirtualHost>\n", {}),
    "vhost-in-vhost": ("<VirtualHost *:{port}>\n<VirtualHost *:{port}>\n</VirtualHost>\n"
                       "</VirtualHost>\n", {}),
    "false-ifdefine-not-closed": ("<IfDefine NEVER_DEFINED>\nServerName a.test\n", {}),
    "ifmodule-no-arg": ("<IfModule>\n</IfModule>\n", {}),
    "include-missing": ("Include missing.conf\n", {}),
    "include-glob-no-match": ("Include sites/*.conf\n", {"sites/README": "x\n"}),
    "include-dir-glob-missing-file": ("Include conf.d/*/vhost.conf\n",
                                      {"conf.d/a/other.conf": "\n"}),
    "unknown-directive": ("NoSuchDirective on\n", {}),
    "servername-no-arg": ("ServerName\n", {}),
    "servername-empty-quoted": ('ServerName ""\n', {}),
    "serveralias-outside-vhost": ("ServerAlias a.test\n", {}),
    "use-undefined-macro": ("Use Nope a\n", {}),
    "use-wrong-arg-count": ("<Macro M $a>\n<VirtualHost *:{port}>\nServerName $a\n"
                            "</VirtualHost>\n</Macro>\nUse M\n", {}),
    "macro-not-closed": ("<Macro M $a>\nServerName $a\n", {}),
    "error-in-macro-body": ("<Macro M $a>\n<VirtualHost *:{port}>\nServerName $a extra\n"
                            "</VirtualHost>\n</Macro>\n\nUse M a.test\n", {}),
    "vhost-not-closed-in-macro": ("<Macro M>\n<VirtualHost *:{port}>\n</Macro>\nUse M\n", {}),
    "undefmacro-undefined": ("UndefMacro Nope\n", {}),
}


@pytest.mark.needs_lint
@pytest.mark.parametrize("case", sorted(CASES))
def test_parse_error_location_matches_httpd(lint_bin, httpd_bin, workdir, case):
    body, files = CASES[case]
    root, conf = write(workdir, body, files)

    r = H.httpd_check(root, conf)
    httpd_err = H.parse_httpd_syntax_error(r.stdout + r.stderr)
    assert r.returncode != 0 and httpd_err, f"httpd should refuse this config:\n{r.stderr}"

    lint = H.run_lint(["--vhosts", "--format", "json", "--no-envvars", "-d", root, conf])
    lint_err = H.parse_lint_error(lint.stderr)
    rc = lint.returncode
    assert rc == 3, (
        f"ocsp-lint exit {rc}, expected 3; httpd: {httpd_err[0]}:{httpd_err[1]}:"
        f" {httpd_err[2]}\nocsp-lint stderr:\n{lint.stderr}")
    assert lint_err, f"no FILE:LINE: error: in ocsp-lint's stderr:\n{lint.stderr}"
    assert lint_err[:2] == httpd_err[:2], (
        f"httpd:     {httpd_err[0]}:{httpd_err[1]}: {httpd_err[2]}\n"
        f"ocsp-lint: {lint_err[0]}:{lint_err[1]}: {lint_err[2]}")
