"""Real configuration nobody here wrote (corpus/, see corpus/README.md), each snippet
mounted on a copy of Debian's /etc/apache2 as its package would install it, and compared
with `apache2 -t` and `apache2 -S`:

* verdict: httpd says Syntax OK exactly when ocsp-lint reads the tree (exit 0 or 1);
* a refused tree: the same file:line as httpd's "Syntax error on line N of FILE";
* an accepted tree: the same vhosts as `-S` (file:line, names, addresses, aliases).

Each snippet is mounted twice: with the modules Debian enables by default (plus mod_ssl),
and with the modules such snippets usually ask for enabled too.
"""

import csv
import os
import shutil
from pathlib import Path

import pytest

import httpd as H

CORPUS = Path(__file__).resolve().parent / "corpus"

DEFAULT_MODS = ("ssl", "socache_shmcb")
EXTRA_MODS = DEFAULT_MODS + ("cgi", "rewrite", "headers", "proxy", "proxy_http",
                             "proxy_fcgi", "expires", "include", "userdir", "dav", "dav_fs",
                             "info", "macro", "remoteip", "ldap", "authnz_ldap", "actions")


def manifest():
    with open(CORPUS / "MANIFEST.tsv", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def snippet_kind(path):
    """How the package installs it: mods (.load/.conf), sites, conf; or a whole config."""
    p = path
    if p.endswith("/examples/apache2/apache2.conf"):
        return "main"
    if "/mods-available/" in p:
        return "mods"
    if "/sites-available/" in p:
        return "sites"
    if p.endswith((".conf", ".conf-sample")):
        return "conf"
    return None


def cases():
    rows = manifest()
    out = []
    for r in rows:
        kind = snippet_kind(r["path_in_package"])
        if kind is None or (kind == "mods" and r["path_in_package"].endswith(".conf")
                            and any(x["path_in_package"] == r["path_in_package"][:-5] + ".load"
                                    for x in rows if x["package"] == r["package"])):
            continue   # a module's .conf goes with its .load
        name = f"{r['package']}:{r['path_in_package']}"
        if kind == "main":
            out.append(pytest.param(r, kind, (), id=name))
        else:
            out.append(pytest.param(r, kind, DEFAULT_MODS, id=name + "[default-mods]"))
            out.append(pytest.param(r, kind, EXTRA_MODS, id=name + "[extra-mods]"))
    return out


@pytest.fixture(scope="session")
def debian_base(tmp_path_factory):
    """The vendored /etc/apache2 with the links Debian's postinst makes."""
    dest = tmp_path_factory.mktemp("debian-base") / "apache2"
    shutil.copytree(CORPUS / "debian-base" / "etc" / "apache2", dest)
    for line in (CORPUS / "debian-base" / "ENABLED").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, name = line.split()
        (dest / f"{kind}-enabled").mkdir(exist_ok=True)
        exts = (".load", ".conf") if kind == "mods" else (".conf",)
        for ext in exts:
            if (dest / f"{kind}-available" / (name + ext)).exists():
                (dest / f"{kind}-enabled" / (name + ext)).symlink_to(
                    f"../{kind}-available/{name}{ext}")
    for kind in ("mods", "conf", "sites"):
        (dest / f"{kind}-enabled").mkdir(exist_ok=True)
    return dest


def mount(workdir, base, row, kind, mods, ports):
    src = CORPUS / row["package"] / row["path_in_package"].lstrip("/")
    if kind == "main":
        root = workdir / "upstream"
        shutil.copytree(src.parent, root)
        tree = H.Tree("upstream", root, root / src.name, ports)
        return tree, ()
    tree = H.make_debian_copy(workdir, ports, src=base, enable_mods=mods, enable_sites=())
    base = src.name
    if kind == "mods":
        name = base[:-5]
        for ext in (".load", ".conf"):
            f = src.parent / (name + ext)
            if f.exists():
                shutil.copy(f, tree.root / "mods-available" / (name + ext))
                (tree.root / "mods-enabled" / (name + ext)).symlink_to(
                    f"../mods-available/{name}{ext}")
    else:
        d = "sites" if kind == "sites" else "conf"
        target = f"{row['package']}-{base.split('.conf')[0]}.conf"
        shutil.copy(src, tree.root / f"{d}-available" / target)
        (tree.root / f"{d}-enabled" / target).symlink_to(f"../{d}-available/{target}")
    return tree, ()


def report(row, mods, httpd_ok, herr, full):
    """OA_CORPUS_REPORT=FILE: one line per tree (for the agreement figures)."""
    path = os.environ.get("OA_CORPUS_REPORT")
    if not path:
        return
    verdict = "ok" if httpd_ok else ("syntax-error" if herr else "fails-later")
    how = ("parse-error" if full.returncode == 3 else
           "rule" if full.data.get("startup") == "fails" else "reads")
    with open(path, "a") as fh:
        fh.write(f"{row['package']}\t{row['path_in_package']}\t"
                 f"{'default' if mods == DEFAULT_MODS else 'extra' if mods else 'main'}\t"
                 f"{verdict}\t{how}\t{full.data.get('startup_reason') or ''}\n")


def lint_args(tree):
    args = ["-d", tree.root]
    if getattr(tree, "envvars", None):
        args += ["--envvars", tree.envvars]
    else:
        args += ["--no-envvars"]
    return args + [tree.conf]


@pytest.mark.needs_lint
@pytest.mark.parametrize("row, kind, mods", cases())
def test_corpus_tree_matches_httpd(lint_bin, httpd_bin, workdir, debian_base, row, kind,
                                   mods):
    ports = {"http": H.free_port(), "https": H.free_port()}
    tree, defines = mount(workdir, debian_base, row, kind, mods, ports)
    h = H.httpd_check(tree.root, tree.conf, defines, tree.env)
    out = h.stdout + h.stderr
    httpd_ok = h.returncode == 0 and "Syntax OK" in out
    # the full lint predicts whether httpd starts; --vhosts gives the inventory
    # linted in place, as on the server: a missing file is httpd's refusal (--require-files)
    full = H.run_lint(["--format", "json", "--require-files"] + lint_args(tree), env=tree.env)
    assert isinstance(full.data, dict), f"no JSON from ocsp-lint:\n{full.stderr[-2000:]}"
    report(row, mods, httpd_ok, H.parse_httpd_syntax_error(out), full)
    if not httpd_ok:
        herr = H.parse_httpd_syntax_error(out)
        assert full.data["startup"] == "fails", (
            f"httpd refuses ({herr or out[-1500:]}) but ocsp-lint predicts startup "
            f"{full.data['startup']} (exit {full.returncode}):\n{full.stderr[-2000:]}")
        if herr:
            assert full.data["startup_reason"].startswith(f"{herr[0]}:{herr[1]}: "), (
                f"httpd:     {herr[0]}:{herr[1]}: {herr[2]}\n"
                f"ocsp-lint: {full.data['startup_reason']}")
        return
    assert full.returncode in (0, 1) and full.data["startup"] == "ok", (
        f"httpd says Syntax OK but ocsp-lint predicts {full.data['startup']}: "
        f"{full.data.get('startup_reason')}\n{full.stderr[-2000:]}")
    lint = H.run_lint(["--vhosts", "--format", "json"] + lint_args(tree), env=tree.env)
    assert lint.returncode in (0, 1) and isinstance(lint.data, dict), lint.stderr[-2000:]
    inv = H.httpd_inventory(tree.root, tree.conf, defines, tree.env)
    problems = H.compare_inventories(inv["vhosts"], lint.data)
    assert not problems, ("ocsp-lint's vhosts differ from httpd -S:\n  " + "\n  ".join(problems)
                          + "\n\n" + H.format_inventories(inv["vhosts"], lint.data))
