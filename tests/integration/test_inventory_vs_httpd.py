"""ocsp-lint's vhost inventory must be httpd's: the same vhosts as `apache2 -S`, each at the
same file:line (for macro-made vhosts: the outermost Use), with the same addresses, the same
ServerName where the vhost sets one, the same aliases.

Trees: Debian's own /etc/apache2 (a copy with mod_ssl and default-ssl enabled) and the
templates in trees/ (see each main.conf for what it exercises).
"""

import pytest

import httpd as H

# (tree, -D names, environment for both httpd and ocsp-lint)
TREE_CASES = [
    pytest.param("includes", (), None, id="includes"),
    pytest.param("conditionals", (), None, id="conditionals"),
    pytest.param("conditionals", ("WITH_EXTRA",), None, id="conditionals-D-WITH_EXTRA"),
    pytest.param("macros", (), None, id="macros"),
    pytest.param("syntax", (), None, id="syntax"),
    pytest.param("edges", (), {"OA_TEST_ENV": "fromenv"}, id="edges"),
    pytest.param("ifargs", (), None, id="ifargs"),
    pytest.param("identity", (), None, id="identity"),
]


def compare_with_httpd(tree, aspects=H.INVENTORY_ASPECTS):
    """Run `apache2 -S` and `ocsp-lint --vhosts` on tree; assert they agree."""
    H.assert_httpd_syntax_ok(tree.root, tree.conf, tree.defines, tree.env)
    inv = H.httpd_inventory(tree.root, tree.conf, tree.defines, tree.env)
    assert inv["vhosts"], "httpd -S lists no vhosts: the tree is useless"
    doc = H.lint_vhosts(tree)

    problems = H.compare_inventories(inv["vhosts"], doc, aspects)
    if doc.get("config") != str(tree.conf):
        problems.append(f"config: ocsp-lint {doc.get('config')!r}, expected {str(tree.conf)!r}")
    if doc.get("server_root") != inv["server_root"]:
        problems.append(f"server_root: ocsp-lint {doc.get('server_root')!r}, "
                        f"httpd {inv['server_root']!r}")
    assert not problems, ("ocsp-lint's inventory differs from httpd -S:\n  "
                          + "\n  ".join(problems) + "\n\n"
                          + H.format_inventories(inv["vhosts"], doc))


@pytest.mark.parametrize("name, defines, env", TREE_CASES)
def test_tree_accepted_by_httpd(make_tree, name, defines, env):
    """Every tree is a config the real apache2 accepts (so it can be compared at all)."""
    tree = make_tree(name, defines, env)
    H.assert_httpd_syntax_ok(tree.root, tree.conf, tree.defines, tree.env)
    assert H.httpd_vhosts(tree.root, tree.conf, tree.defines, tree.env)


@pytest.mark.needs_lint
@pytest.mark.parametrize("name, defines, env", TREE_CASES)
def test_inventory_matches_httpd(lint_bin, make_tree, name, defines, env):
    compare_with_httpd(make_tree(name, defines, env))


@pytest.mark.needs_lint
@pytest.mark.parametrize("name, env", [
    pytest.param("macros", None, id="macros"),
    pytest.param("edges", {"OA_TEST_ENV": "fromenv"}, id="edges"),
])
def test_macro_origin_matches_httpd(lint_bin, make_tree, name, env):
    """"macro" of macro-made vhosts: the macro httpd names (whose body holds the
    <VirtualHost>) and where it was defined (its <Macro> line), as httpd's where-string says."""
    compare_with_httpd(make_tree(name, (), env), aspects={"macro"})


def test_debian_copy_accepted_by_httpd(debian_tree):
    t = debian_tree
    H.assert_httpd_syntax_ok(t.root, t.conf, env=t.env)


@pytest.mark.needs_lint
def test_debian_inventory_matches_httpd(lint_bin, debian_tree):
    compare_with_httpd(debian_tree)


@pytest.mark.needs_lint
def test_lint_accepts_options_after_config(lint_bin, make_tree):
    """The synopsis puts -D and --envvars/--no-envvars after CONFIG: they must work there."""
    tree = make_tree("includes", ("SOME_NAME",))
    first = H.run_lint(H.lint_vhosts_args(tree, config_last=True))
    assert first.returncode in (0, 1) and first.data, first.stderr
    after = H.run_lint(H.lint_vhosts_args(tree, config_last=False))
    assert after.returncode == first.returncode, (
        f"{' '.join(map(str, after.args))}\nexit {after.returncode}: {after.stderr[:500]}")
    assert after.data == first.data
