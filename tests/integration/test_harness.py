"""Tests of the harness itself (httpd.py, conftest.py): no ocsp-lint needed."""

import os
import socket
import ssl

import pytest

import httpd as H

# `apache2 -S` output as Debian's 2.4 prints it (paths shortened), with a nested macro.
SAMPLE_DUMP = """\
VirtualHost configuration:
[::1]:8443             bogus_host_without_reverse_dns (/t/main.conf:42)
127.0.0.2:*            ip.example (/t/main.conf:40)
127.0.0.1:8080         is a NameVirtualHost
         default server ip.example (/t/main.conf:10)
         port 8080 namevhost ip.example (/t/main.conf:10)
         port 8080 namevhost main.example (/t/main.conf:22)
*:8443                 is a NameVirtualHost
         default server a.example (/t/sites/a b.conf:13)
         port 8443 namevhost a.example (/t/sites/a b.conf:13)
                 alias b.example
                 alias with space.example
                 wild alias *.d.example
         port 8443 namevhost main.example (/t/main.conf:22)
         port 8443 namevhost m1.example (macro 'vh' (defined on line 24 of "/t/m.conf") used on line 34 of "/t/main.conf":1)
                 alias www.m1.example
         port 8443 namevhost m3.example (macro 'vh' (defined on line 24 of "/t/m.conf") used on line 1 of "macro 'outer' (defined on line 30 of "/t/m.conf") used on line 36 of "/t/main.conf"":1)
         port 8443 namevhost m3.example (macro 'vh' (defined on line 24 of "/t/m.conf") used on line 1 of "macro 'outer' (defined on line 30 of "/t/m.conf") used on line 36 of "/t/main.conf"":4)
ServerRoot: "/t"
Main DocumentRoot: "/var/www/html"
Define: DUMP_VHOSTS
Define: P=8080
"""


def _brief(vhosts):
    return [(v["file"], v["line"], v["name"], sorted(v["addresses"]),
             None if v["aliases"] is None else list(v["aliases"]))
            for v in vhosts]


def test_parse_dump_vhosts_sample():
    vh = H.parse_dump_vhosts(SAMPLE_DUMP)
    assert _brief(vh) == [
        ("/t/main.conf", 42, "bogus_host_without_reverse_dns", ["[::1]:8443"], None),
        ("/t/main.conf", 40, "ip.example", ["127.0.0.2:*"], None),
        ("/t/main.conf", 10, "ip.example", ["127.0.0.1:8080"], []),
        ("/t/main.conf", 22, "main.example", ["*:8443", "127.0.0.1:8080"], []),
        ("/t/sites/a b.conf", 13, "a.example", ["*:8443"],
         ["b.example", "with space.example", "*.d.example"]),
        ("/t/main.conf", 34, "m1.example", ["*:8443"], ["www.m1.example"]),
        ("/t/main.conf", 36, "m3.example", ["*:8443"], []),
        ("/t/main.conf", 36, "m3.example", ["*:8443"], []),
    ]
    m3 = vh[6]
    assert m3["macro"] == {"name": "vh", "file": "/t/m.conf", "line": 24}
    assert m3["where_line"] == 1 and vh[7]["where_line"] == 4
    assert [c["name"] for c in m3["macro_chain"]] == ["vh", "outer"]
    assert m3["macro_chain"][1] == {"name": "outer", "defined": ("/t/m.conf", 30),
                                    "used_file": "/t/main.conf", "used_line": 36}
    assert H.parse_dump_server_root(SAMPLE_DUMP) == "/t"
    assert H.parse_dump_defines(SAMPLE_DUMP) == {"DUMP_VHOSTS": None, "P": "8080"}


def test_parse_macro_where():
    w = ('macro \'vh\' (defined on line 3 of "/f.conf") used on line 1 of "macro \'o\' '
         '(defined on line 7 of "/f.conf") used on line 10 of "/g.conf""')
    assert H.parse_macro_where(w) == {
        "name": "vh", "defined": ("/f.conf", 3),
        "used": ({"name": "o", "defined": ("/f.conf", 7), "used": ("/g.conf", 10)}, 1)}
    r = H.resolve_where(w, 5)
    assert (r["file"], r["line"]) == ("/g.conf", 10)
    assert r["macro"] == {"name": "vh", "file": "/f.conf", "line": 3}
    assert H.resolve_where("/plain.conf", 7) == {"file": "/plain.conf", "line": 7,
                                                 "macro": None, "macro_chain": []}


@pytest.mark.parametrize("given, expected", [
    ("*:443", "*:443"), ("_default_:443", "*:443"), ("*", "*:*"), ("_DEFAULT_", "*:*"),
    ("127.0.0.1:8443", "127.0.0.1:8443"), ("127.0.0.2", "127.0.0.2:*"),
    ("127.0.0.2:*", "127.0.0.2:*"), ("0.0.0.0:80", "*:80"), ("[::1]:443", "[::1]:443"),
    ("[0:0::1]", "[::1]:*"), ("[::]:80", "*:80"), ("WWW.Example.COM:80", "www.example.com:80"),
])
def test_normalize_address(given, expected):
    assert H.normalize_address(given) == expected


def test_compare_inventories_reports_differences():
    hv = H.parse_dump_vhosts(SAMPLE_DUMP)
    main = {"name": "main.example", "name_source": "ServerName", "aliases": [],
            "addresses": [], "file": "/t/main.conf", "line": 1, "main_server": True}

    def lint(v):
        return {"name": v["name"], "name_source": "ServerName", "aliases": v["aliases"] or [],
                "addresses": v["addresses"], "file": v["file"], "line": v["line"],
                "main_server": False,
                **({"macro": v["macro"]} if v["macro"] else {})}
    doc = {"vhosts": [main] + [lint(v) for v in hv]}
    assert H.compare_inventories(hv, doc, H.ALL_ASPECTS) == []
    doc["vhosts"][3]["addresses"] = ["127.0.0.1:8081"]
    doc["vhosts"][5]["aliases"] = ["b.example"]
    doc["vhosts"][6]["macro"] = None
    del doc["vhosts"][8]
    problems = H.compare_inventories(hv, doc, H.ALL_ASPECTS)
    assert len(problems) == 4, problems
    assert any("addresses" in p and "/t/main.conf:10" in p for p in problems)
    assert any("aliases" in p and "a b.conf:13" in p for p in problems)
    assert any("no \"macro\"" in p and "/t/main.conf:34" in p for p in problems)
    assert any("ocsp-lint has none" in p and "/t/main.conf:36" in p for p in problems)


def test_free_port_is_free():
    ports = {H.free_port() for _ in range(5)}
    assert len(ports) == 5
    for p in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", p))


def test_httpd_dump_includes_tree(make_tree):
    t = make_tree("includes")
    p1, p2 = t.ports["PORT1"], t.ports["PORT2"]
    inv = H.httpd_inventory(t.root, t.conf)
    assert inv["server_root"] == str(t.root)
    r = str(t.root)
    w, ip = f"*:{p1}", f"127.0.0.1:{p2}"
    assert _brief(inv["vhosts"]) == [
        (f"{r}/sites/10-second.conf", 3, "ip-based.test", [ip], []),
        (f"{r}/conf.d/beta/vhost.conf", 2, "beta.test", sorted([w, ip]), ["beta.example"]),
        (f"{r}/sites/00-first.conf", 2, "first.test", [w], ["www.first.test", "first.example"]),
        (f"{r}/sites/10-second.conf", 7, "second.test", [w], ["*.second.test"]),
        (f"{r}/fragments/shared.inc", 2, "shared.test", [w], []),
        (f"{r}/conf.d/alpha/vhost.conf", 1, "alpha.test", [w], []),
        (f"{r}/extra/.dotfile", 2, "dotfile.test", [w], []),
        (f"{r}/extra/10-extra.conf", 1, "extra.test", [w], []),
        (f"{r}/extra/README", 3, "readme.test", [w], []),
        (f"{r}/extra/sub/30-sub.conf", 2, "sub.test", [w], []),
        (f"{r}/main.conf", 29, "last.test", [w], []),
    ]


def test_httpd_dump_macros_tree(make_tree):
    t = make_tree("macros")
    p1, p2 = t.ports["PORT1"], t.ports["PORT2"]
    vh = H.httpd_vhosts(t.root, t.conf)
    r = str(t.root)
    main, macros, site = f"{r}/main.conf", f"{r}/macros.conf", f"{r}/sites/site.conf"
    w1, w2 = f"*:{p1}", f"*:{p2}"
    got = [(v["file"], v["line"], v["name"], v["addresses"], v["aliases"],
            v["macro"] and (v["macro"]["name"], v["macro"]["file"], v["macro"]["line"]),
            v["where_line"]) for v in vh]
    assert got == [
        (main, 36, "again-once.example", [f"127.0.0.1:{p1}"], None, ("once", main, 31), 1),
        (main, 18, "a.example", [w2], ["www.a.example"], ("vhost", macros, 3), 1),
        (main, 19, "a.example", [w2], ["www.a.example"], ("vhost", macros, 3), 1),
        # the second vhost of Pair: body line 5, because the continued ServerAlias counts
        # as one line
        (main, 23, "pair.example", [w2], ["tls.pair.example"], ("pair", macros, 11), 5),
        (main, 29, "once.example", [w2], [], ("once", macros, 28), 1),
        (main, 20, "b.example", [w1], ["www.b.example"], ("vhost", macros, 3), 1),
        (main, 23, "pair.example", [w1], ["http.pair.example"], ("pair", macros, 11), 1),
        (main, 26, "nested.example", [w1], ["www.nested.example"], ("vhost", macros, 3), 1),
        (site, 2, "site.example", [w1], ["www.site.example"], ("vhost", macros, 3), 1),
        (site, 5, "inner.deep.example", [w1], ["www.inner.deep.example"],
         ("vhost", macros, 3), 1),
        (main, 40, "plain.example", [w1], [], None, 40),
        # ${DOMAIN} in the body takes the value at each Use; Use's quotes are gone
        (main, 47, "svc.example", [w1], ["example-alias.svc"], ("dom", macros, 38), 1),
        (main, 48, "sq.example", [w1], ["www.sq.example"], ("vhost", macros, 3), 1),
        (main, 50, "svc.other", [w1], ["other-alias.svc"], ("dom", macros, 38), 1),
    ]
    deep = vh[9]
    # "Use VHost" is the 2nd physical line of Site's body, but the comment before it is
    # not counted: httpd says line 1.
    assert [(c["name"], c["used_file"], c["used_line"]) for c in deep["macro_chain"]] == [
        ("vhost", None, 1), ("site", None, 1), ("outer", site, 5)]


def test_httpd_dump_debian_copy(debian_tree):
    t = debian_tree
    H.assert_httpd_syntax_ok(t.root, t.conf, env=t.env)
    vh = H.httpd_vhosts(t.root, t.conf, env=t.env)
    r = str(t.root)
    assert [(v["file"], v["line"], v["addresses"]) for v in vh] == [
        (f"{r}/sites-enabled/000-default.conf", 1, [f"*:{t.ports['http']}"]),
        (f"{r}/sites-enabled/default-ssl.conf", 1, [f"*:{t.ports['https']}"]),
    ]
    assert os.path.islink(t.root / "mods-enabled" / "ssl.load")
    assert os.path.realpath(t.root / "mods-enabled" / "ssl.load").startswith(
        os.path.realpath(t.root) + "/")


def _tls_handshake(port, server_name):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname=server_name) as t:
            return t.version()


def test_httpd_instance_start_stop(make_tree, workdir):
    t = make_tree("conditionals")
    ports = sorted(t.ports.values())
    inst = H.HttpdInstance(t.root, t.conf, workdir / "run1", ports=ports)
    with inst as h:
        assert h.running()
        assert all(H.port_is_open(p) for p in ports)
        assert _tls_handshake(t.ports["PORT3"], "secure.test")
        pid = int(h.pid_file.read_text().split()[0])
        assert pid == h.pid
        assert h.error_log.exists()
        pgid = h.pgid
        assert H.live_group_members(pgid)
        assert h.listening() == sorted(("127.0.0.1", p) for p in ports)
    assert not inst.running()
    assert not any(H.port_is_open(p) for p in ports)
    assert H.live_group_members(pgid) == []
    assert "resuming normal operations" in inst.error_log_text()
    assert "caught SIGTERM, shutting down" in inst.error_log_text()


def test_httpd_instance_stops_when_the_test_fails(make_tree, workdir):
    t = make_tree("macros")
    ports = sorted(t.ports.values())
    inst = H.HttpdInstance(t.root, t.conf, workdir / "run2", ports=ports)
    with pytest.raises(ZeroDivisionError):
        with inst:
            pgid = inst.pgid
            1 / 0
    assert not any(H.port_is_open(p) for p in ports)
    assert H.live_group_members(pgid) == []


def test_httpd_instance_fixture_and_start_failure(make_tree, workdir, httpd_instance):
    t = make_tree("syntax")
    h = httpd_instance(t)             # stopped by the fixture at the end of the test
    assert all(H.port_is_open(p) for p in t.ports.values())
    # a config httpd rejects: start() raises with httpd's message, nothing is left running
    broken = workdir / "broken.conf"
    broken.write_text(t.conf.read_text() + "\nNoSuchDirective here\n")
    with pytest.raises(H.HarnessError) as e:
        H.HttpdInstance(t.root, broken, workdir / "run3",
                        ports=[H.free_port()]).start()
    assert "NoSuchDirective" in str(e.value)
    assert not H._running or H._running == [h]
    assert h.running()


def test_parse_httpd_syntax_error():
    nested = ("apache2: Syntax error on line 6 of /t/main.conf: Syntax error on line 1 of "
              "/t/in c.conf: /t/in c.conf:1: <VirtualHost> was not closed.\n")
    assert H.parse_httpd_syntax_error(nested) == (
        "/t/in c.conf", 1, "/t/in c.conf:1: <VirtualHost> was not closed.")
    two_lines = ("AH00526: Syntax error on line 7 of /t/main.conf:\n"
                 "ServerName takes one argument, The hostname and port of the server\n")
    assert H.parse_httpd_syntax_error(two_lines) == (
        "/t/main.conf", 7, "ServerName takes one argument, The hostname and port of the server")
    macro = ('AH00526: Syntax error on line 2 of macro \'m\' (defined on line 6 of "/t/m.conf") '
             'used on line 1 of "macro \'o\' (defined on line 9 of "/t/m.conf") used on line 20 '
             'of "/t/main.conf"":\nServerName takes one argument\n')
    assert H.parse_httpd_syntax_error(macro) == ("/t/main.conf", 20,
                                                 "ServerName takes one argument")
    assert H.parse_httpd_syntax_error("AH00014: Configuration check failed") is None
    assert H.parse_lint_error("/t/a b.conf:12: error: oops: x\n") == ("/t/a b.conf", 12, "oops: x")


def test_httpd_instance_runs_debian_copy(debian_tree, workdir):
    """The Debian copy (ports moved to 127.0.0.1, test certificate) really starts."""
    t = debian_tree
    ports = [t.ports["http"], t.ports["https"]]
    with H.HttpdInstance(t.root, t.conf, workdir / "run-debian", ports=ports, env=t.env) as h:
        assert h.listening() == sorted(("127.0.0.1", p) for p in ports)
        assert _tls_handshake(t.ports["https"], "localhost")
        pgid = h.pgid
    assert H.live_group_members(pgid) == []
    assert not any(H.port_is_open(p) for p in ports)
