"""The checks httpd makes of each directive while it reads and processes the config
(where it is allowed, its arguments, the values it refuses), each against `apache2 -t`:

* REFUSED: httpd refuses the config; ocsp-lint must exit 3 with httpd's file:line and
  httpd's message, and the full lint (--format json) must predict `startup: fails`.
* ACCEPTED: httpd says Syntax OK; ocsp-lint must read the config (exit 0 or 1).
* RULE_OWNED: httpd refuses, and one of our rules (OA102, OA103, OA105) says so with more
  to tell: the full lint must predict `startup: fails` at httpd's file:line.
"""

import re

import pytest

import httpd as H

MODS = ("mpm_event", "authz_core", "alias", "ssl", "socache_shmcb", "remoteip", "macro",
        "rewrite")

HEAD = """\
ErrorLog "{root}/error.log"
PidFile "{root}/httpd.pid"
{loads}
ServerName main.test
Listen 127.0.0.1:{port}
"""

# id -> (text after HEAD, modules loaded (None: MODS))
REFUSED = {
    "require-at-top": ("Require all granted\n", None),
    "sslrequire-at-top": ("SSLRequire true\n", None),
    "require-in-vhost": ("<VirtualHost 127.0.0.1:{port}>\nRequire all granted\n"
                         "</VirtualHost>\n", None),
    "sslusestapling-in-directory": ("<Directory /srv>\nSSLUseStapling on\n</Directory>\n", None),
    "listen-in-location-in-vhost": ("<VirtualHost 127.0.0.1:{port}>\n<Location /x>\n"
                                    "Listen 8080\n</Location>\n</VirtualHost>\n", None),
    "servername-in-directorymatch": ("<DirectoryMatch /srv>\nServerName a\n"
                                     "</DirectoryMatch>\n", None),
    "servername-in-limit": ("<Location /x>\n<Limit GET>\nServerName a\n</Limit>\n"
                            "</Location>\n", None),
    "alias-in-directory": ("<Directory /srv>\nAlias /srv/a\n</Directory>\n", None),
    "alias-two-args-in-directory": ("<Directory /srv>\nAlias /a /srv/a\n</Directory>\n", None),
    "alias-two-args-in-location": ("<Location /a>\nAlias /a /srv/a\n</Location>\n", None),
    "scriptalias-two-args-in-location": ("<Location /a>\nScriptAlias /a /srv/a\n</Location>\n",
                                         None),
    "alias-one-arg-globally": ("<VirtualHost 127.0.0.1:{port}>\nScriptAlias /srv/cgi\n"
                               "</VirtualHost>\n", None),
    "alias-one-arg-in-files": ("<Files x>\nAlias /srv/a\n</Files>\n", None),
    "alias-in-files-in-directory": ("<Directory /srv>\n<Files x>\nAlias /a\n</Files>\n"
                                    "</Directory>\n", None),
    "sslsessioncache-in-vhost": ("<VirtualHost 127.0.0.1:{port}>\n"
                                 "SSLSessionCache shmcb:/tmp/x(512000)\n</VirtualHost>\n", None),
    "rewritebase-at-top": ("RewriteBase /\n", None),
    "rewritebase-in-vhost": ("<VirtualHost 127.0.0.1:{port}>\nRewriteBase /\n</VirtualHost>\n",
                             None),
    "rewritebase-not-url": ("<Directory /srv>\nRewriteBase @NAGVIS_WEB@\n</Directory>\n", None),
    "rewritebase-empty": ("<Directory /srv>\nRewriteBase \"\"\n</Directory>\n", None),
    "loadmodule-missing-file": ("LoadModule foo_module modules/mod_foo.so\n", None),
    "serverroot-empty": ('ServerRoot ""\n', None),
    "servername-two-args": ("ServerName a b\n", None),
    "documentroot-no-arg": ("DocumentRoot\n", None),
    "flag-not-on-off": ("KeepAlive maybe\n", None),
    "take2-one-arg": ("ErrorDocument 404\n", None),
    "iterate-no-arg": ("<Directory /srv>\nDirectoryIndex\n</Directory>\n", None),
    "listen-twice": ("Listen 127.0.0.1:{port}\n", None),
    "listen-star-and-port": ("Listen 18081\nListen *:18081\n", None),
    "listen-ipv6-twice": ("Listen [::1]:18082\nListen [::1]:18082 https\n", None),
    "listen-no-port": ("Listen localhost\n", None),
    "listen-bad-port": ("Listen 99999\n", None),
    "listen-three-args": ("Listen 18083 http extra\n", None),
    "servertokens": ("ServerTokens Everything\n", None),
    "options-illegal": ("Options Indexes Bogus\n", None),
    "options-mixed": ("Options +Indexes FollowSymLinks\n", None),
    "options-plus-none": ("Options +None\n", None),
    "options-all-not-first": ("Options Indexes All\n", None),
    "allowoverride-at-top": ("AllowOverride None\n", None),
    "allowoverride-illegal": ("<Directory /srv>\nAllowOverride Everything\n</Directory>\n", None),
    "allowoverride-options-illegal": ("<Directory /srv>\nAllowOverride Options=Indexes,Bogus\n"
                                      "</Directory>\n", None),
    "loglevel-keyword": ("LogLevel verbose\n", None),
    "loglevel-module-keyword": ("LogLevel info ssl:loud\n", None),
    "loglevel-unknown-module": ("LogLevel info nosuch:debug\n", None),
    "loglevel-module-no-level": ("LogLevel ssl:\n", None),
    "limitrequestbody-negative": ("LimitRequestBody -1\n", None),
    "limitrequestfieldsize": ("LimitRequestFieldSize -5\n", None),
    "limitrequestfields": ("LimitRequestFields -1\n", None),
    "limitrequestline": ("LimitRequestLine -8190\n", None),
    "listenbacklog": ("ListenBacklog 0\n", None),
    "sendbuffersize": ("SendBufferSize 100\n", None),
    "receivebuffersize": ("ReceiveBufferSize 5x\n", None),
    "proxytimeout": ("LoadModule proxy_module {modules}/mod_proxy.so\nProxyTimeout 0\n", None),
    "sslverifydepth": ("SSLVerifyDepth -1\n", None),
    "keepalivetimeout-format": ("KeepAliveTimeout 1.5\n", None),
    "hostnamelookups": ("HostnameLookups sometimes\n", None),
    "usecanonicalname": ("UseCanonicalName maybe\n", None),
    "serversignature": ("ServerSignature maybe\n", None),
    "sslengine": ("SSLEngine maybe\n", None),
    "sslprotocol-illegal": ("SSLProtocol TLSv1.0\n", None),
    "sslprotocol-sslv2": ("SSLProtocol all +SSLv2\n", None),
    "sslprotocol-sslv3": ("SSLProtocol +SSLv3\n", None),
    "sslverifyclient": ("SSLVerifyClient sometimes\n", None),
    "sslproxyverify": ("SSLProxyVerify sometimes\n", None),
    "sslpassphrasedialog": ("SSLPassPhraseDialog ask\n", None),
    "sslpassphrasedialog-exec-missing": ("SSLPassPhraseDialog exec:/nonexistent-oa/pp\n", None),
    "sslrandomseed-context": ("SSLRandomSeed boot builtin\n", None),
    "sslrandomseed-egd": ("SSLRandomSeed startup egd:/run/egd\n", None),
    "sslrandomseed-missing": ("SSLRandomSeed startup file:nonexistent-oa\n", None),
    "ssloptions": ("SSLOptions +StdEnvVars +Bogus\n", None),
    "sslsessioncache-provider": ("SSLSessionCache dbm:/tmp/ssl_scache\n", None),
    "sslsessioncache-no-shmcb": ("SSLSessionCache shmcb:/tmp/x(512000)\n",
                                 ("mpm_event", "authz_core", "ssl")),
    "remoteip-bad-mask": ("RemoteIPInternalProxy 10.0.0.0/8 10.0.0.0/40\n", None),
    # OA305 looks at SSL vhosts' files only: without one, httpd's refusal is the error
    "certificate-file-missing-no-ssl-vhost": ("SSLCertificateFile /nonexistent-oa/cert.pem\n",
                                              None),
    "rule-owned-error-before-unknown": ("SSLCertificateFile /nonexistent-oa/cert.pem\n"
                                        "WSGIScriptAlias / /srv/app.wsgi\n", None),
    "rule-owned-error-before-bad-value": ("<VirtualHost 127.0.0.1:{port}>\n"
                                          "SSLStaplingCache shmcb:/tmp/x(128000)\n"
                                          "</VirtualHost>\nServerTokens Everything\n", None),
    "unknown-before-unloaded-macro": ("Bogus on\n<Macro M>\nServerName x\n</Macro>\n",
                                      ("mpm_event", "authz_core")),
    "unloaded-macro": ("<Macro M>\nServerName x\n</Macro>\n", ("mpm_event", "authz_core")),
}

ACCEPTED = {
    "glued-gt-directorymatch": ('<DirectoryMatch> "^/srv/\\.well-known/">\nRequire all granted\n'
                                "</DirectoryMatch>\n", None),
    "glued-gt-vhost": ("<VirtualHost> 127.0.0.1:{port}>\nServerName g.test\n</VirtualHost>\n",
                       None),
    "glued-gt-ifmodule": ("<IfModule> ssl_module>\nSSLProtocol all\n</IfModule>\n", None),
    "macro-before-loadmodule": ("<Macro M>\nServerName x\n</Macro>\n"
                                "LoadModule macro_module {modules}/mod_macro.so\n",
                                ("mpm_event", "authz_core")),
    "options-leading-all": ("Options All -Indexes\nOptions None +FollowSymLinks\n", None),
    "options-case": ("Options indexes followsymlinks execcgi\n", None),
    "allowoverride-lists": ("<Directory /srv>\nAllowOverride Options=Indexes,MultiViews "
                            "AuthConfig Nonfatal=Override\n</Directory>\n", None),
    "loglevel-modules": ("LogLevel warn ssl:info core:debug mod_rewrite.c:trace3 "
                         "authz_core_module:info\n", None),
    "listen-different-hosts": ("Listen 127.0.0.1:18084\nListen 127.0.0.2:18084\n"
                               "Listen 0.0.0.0:18085\nListen 18085\n", None),
    "keepalivetimeout-units": ("KeepAliveTimeout 500ms\nKeepAliveTimeout 5mi\n", None),
    "sslprotocol-minus": ("SSLProtocol all -SSLv3 -TLSv1 -TLSv1.1\n", None),
    "sslsessioncache-none": ("SSLSessionCache none\nSSLSessionCache nonenotnull\n", None),
    "ssl-seeds-and-dialogs": ("SSLRandomSeed Startup file:/dev/urandom 512\n"
                              "SSLRandomSeed connect builtin\nSSLPassPhraseDialog builtin\n"
                              "SSLPassPhraseDialog exec:/bin/true\n", None),
    "numbers-in-range": ("LimitRequestFieldSize 16380\nListenBacklog 5x\nSendBufferSize 0\n"
                         "SSLVerifyDepth 3x\nLimitRequestFields abc\n", None),
    "flag-case-extra": ("KeepAlive ON\nRewriteEngine on extra\n", None),
    "require-in-directory": ("<Directory /srv>\n<RequireAll>\nRequire all granted\n"
                             "</RequireAll>\n</Directory>\n", None),
    "rewritebase-in-directory-in-vhost": ("<VirtualHost 127.0.0.1:{port}>\n"
                                          "<Directory /srv>\nRewriteBase /zm\n</Directory>\n"
                                          "</VirtualHost>\n", None),
    "alias-in-location": ("<Location /a>\nAlias /srv/a\n</Location>\n", None),
    "serveralias-no-arg": ("<VirtualHost 127.0.0.1:{port}>\nServerName v.test\nServerAlias\n"
                           "</VirtualHost>\n", None),
    "sslprotocol-minus-sslv2": ("SSLProtocol all -SSLv2\n", None),
    "remoteip-addresses": ("RemoteIPInternalProxy 10.0.0.0/8 192.168.0.0/16 127.0.0.1\n", None),
}

# id -> (text after HEAD, modules, rule id)
RULE_OWNED = {
    "staplingcache-in-vhost": ("<VirtualHost 127.0.0.1:{port}>\n"
                               "SSLStaplingCache shmcb:/tmp/x(128000)\n</VirtualHost>\n",
                               None, "OA102"),
    "staplingcache-provider": ("SSLStaplingCache dbm:/tmp/x\n", None, "OA103"),
    "usestapling-not-flag": ("SSLStaplingCache shmcb:/tmp/x(128000)\nSSLUseStapling yes\n",
                             None, "OA105"),
}


def write_case(workdir, body, mods, port):
    root = workdir / "conf"
    root.mkdir()
    moddir = H.module_dir()
    loads = "\n".join(f"LoadModule {m}_module {moddir}/mod_{m}.so" for m in (mods or MODS))
    values = {"root": root, "modules": moddir, "port": port, "loads": loads}
    conf = root / "main.conf"
    conf.write_text(HEAD.format(**values) + body.format(**values))
    return root, conf


def same_message(httpd_msg, lint_msg):
    # mod_ssl lists the socache providers in hash order
    norm = lambda m: re.sub(r"\(known names: [^)]*\)", "(known names: ...)", m)
    return norm(httpd_msg) == norm(lint_msg)


@pytest.mark.needs_lint
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_like_httpd(lint_bin, httpd_bin, workdir, case):
    body, mods = REFUSED[case]
    root, conf = write_case(workdir, body, mods, H.free_port())
    r = H.httpd_check(root, conf)
    httpd_err = H.parse_httpd_syntax_error(r.stdout + r.stderr)
    assert r.returncode != 0 and httpd_err, f"httpd should refuse this:\n{r.stderr}"

    lint = H.run_lint(["--format", "json", "--require-files", "--no-envvars", "-d", root, conf])
    lint_err = H.parse_lint_error(lint.stderr)
    assert lint.returncode == 3 and lint_err, (
        f"ocsp-lint exit {lint.returncode}; httpd: {httpd_err}\n{lint.stderr}")
    assert lint_err[:2] == httpd_err[:2], f"httpd: {httpd_err}\nocsp-lint: {lint_err}"
    assert same_message(httpd_err[2], lint_err[2]), (
        f"httpd:     {httpd_err[2]}\nocsp-lint: {lint_err[2]}")
    assert lint.data and lint.data["startup"] == "fails", lint.stdout
    assert lint.data["startup_reason"].startswith(f"{httpd_err[0]}:{httpd_err[1]}: ")


@pytest.mark.needs_lint
@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_accepted_like_httpd(lint_bin, httpd_bin, workdir, case):
    body, mods = ACCEPTED[case]
    root, conf = write_case(workdir, body, mods, H.free_port())
    H.assert_httpd_syntax_ok(root, conf)
    lint = H.run_lint(["--format", "json", "--require-files", "--no-envvars", "-d", root, conf])
    assert lint.returncode in (0, 1), f"ocsp-lint exit {lint.returncode}:\n{lint.stderr}"
    assert lint.data["startup"] == "ok", lint.stdout


@pytest.mark.needs_lint
@pytest.mark.parametrize("case", sorted(RULE_OWNED))
def test_rule_predicts_refusal(lint_bin, httpd_bin, workdir, case):
    body, mods, rule = RULE_OWNED[case]
    root, conf = write_case(workdir, body, mods, H.free_port())
    r = H.httpd_check(root, conf)
    httpd_err = H.parse_httpd_syntax_error(r.stdout + r.stderr)
    assert r.returncode != 0 and httpd_err, f"httpd should refuse this:\n{r.stderr}"
    lint = H.run_lint(["--format", "json", "--require-files", "--no-envvars", "-d", root, conf])
    assert lint.returncode == 1, f"ocsp-lint exit {lint.returncode}:\n{lint.stderr}"
    assert lint.data["startup"] == "fails", lint.stdout
    assert lint.data["startup_reason"].startswith(f"{httpd_err[0]}:{httpd_err[1]}: "), (
        f"httpd: {httpd_err}\nocsp-lint: {lint.data['startup_reason']}")
    assert f"[{rule}" in lint.data["startup_reason"], lint.data["startup_reason"]


@pytest.mark.needs_lint
@pytest.mark.parametrize("where", ["main", "vhost"])
def test_error_log_directory_missing(lint_bin, httpd_bin, workdir, where):
    """Not a syntax error: httpd -t opens the logs and fails ("Configuration check
    failed"); ocsp-lint refuses the config with httpd's words."""
    body = ("ErrorLog /nonexistent-oa/error.log\n" if where == "main" else
            "<VirtualHost 127.0.0.1:{port}>\nErrorLog logs-missing/v.log\n</VirtualHost>\n")
    root, conf = write_case(workdir, body, None, H.free_port())
    r = H.httpd_check(root, conf)
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "Configuration check failed" in out, out
    want = out.split("AH02291: ")[1].splitlines()[0]
    lint = H.run_lint(["--format", "json", "--require-files", "--no-envvars", "-d", root, conf])
    lerr = H.parse_lint_error(lint.stderr)
    assert lint.returncode == 3 and lerr and lerr[2].startswith(want), (
        f"httpd: {want}\nocsp-lint: {lint.stderr}")
    assert lint.data["startup"] == "fails"
