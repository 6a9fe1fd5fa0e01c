"""`make install` / `make uninstall` into a DESTDIR: the Debian layout gets the a2enmod pair
(mods-available/ocsp_audit.load naming the installed module, ocsp_audit.conf with the
status page), the module goes in without apxs's "dlname not found" warning, man pages and
completion are installed, and uninstall removes exactly what install added, leaving what
was there before.

Needs the build directory (top_builddir, set by `make check`); skipped without it.

Run:  top_builddir=build/dev /usr/bin/python3 -m pytest tests/integration/test_make_install.py
"""

import os
import subprocess
from pathlib import Path

import pytest


def tree(root):
    """{relative path: kind} of everything below root."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            out[str(p.relative_to(root))] = "link" if p.is_symlink() else "dir" if p.is_dir() else "file"
    return out


def make(builddir, target, dest):
    return subprocess.run(["make", "-s", "-C", str(builddir), target, f"DESTDIR={dest}"],
                          capture_output=True, text=True, timeout=600)


def make_var(builddir, name):
    out = subprocess.run(["make", "-s", "-C", str(builddir), "--no-print-directory",
                          "-f", "Makefile", "-f", "-", "print-var"],
                         input=f"print-var:\n\t@echo $({name})\n", capture_output=True,
                         text=True, timeout=60)
    return out.stdout.strip()


def test_install_and_uninstall(tmp_path):
    builddir = os.environ.get("top_builddir")
    if not builddir or not (Path(builddir) / "Makefile").is_file():
        pytest.skip("top_builddir with a configured build is not set (make check sets it)")
    a2mods = make_var(builddir, "A2MODSDIR")
    libexec = make_var(builddir, "HTTPD_LIBEXECDIR")
    dest = tmp_path / "dest"
    # what was there before must stay
    before_files = []
    if a2mods != "no":
        (dest / a2mods.lstrip("/")).mkdir(parents=True)
        before_files.append(dest / a2mods.lstrip("/") / "other.load")
    (dest / libexec.lstrip("/")).mkdir(parents=True)
    before_files.append(dest / libexec.lstrip("/") / "mod_other.so")
    for f in before_files:
        f.write_text("not ours\n")
    before = tree(dest)

    out = make(builddir, "install", dest)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "dlname" not in out.stdout + out.stderr
    assert "warning" not in (out.stdout + out.stderr).lower(), out.stdout + out.stderr
    added = {k for k, v in tree(dest).items() if v == "file"} - set(before)
    names = {Path(k).name for k in added}
    assert {"ocsp-lint", "mod_ocsp_audit.so", "ocsp-lint.1", "mod_ocsp_audit.8", "OA101.md"} <= names
    assert any(k.endswith("bash-completion/completions/ocsp-lint") for k in added)
    if a2mods != "no":
        load = dest / a2mods.lstrip("/") / "ocsp_audit.load"
        conf = dest / a2mods.lstrip("/") / "ocsp_audit.conf"
        assert f"LoadModule ocsp_audit_module {libexec}/mod_ocsp_audit.so" in load.read_text()
        text = conf.read_text()
        assert '<Location "/ocsp-status">' in text and "Require local" in text
        assert "SetHandler ocsp-audit-status" in text

    out = make(builddir, "uninstall", dest)
    assert out.returncode == 0, out.stdout + out.stderr
    after = tree(dest)
    left = {k for k, v in after.items() if v != "dir"} - set(before)
    assert not left, f"make uninstall left {sorted(left)}"
    assert all(f.read_text() == "not ours\n" for f in before_files)
    assert not [k for k in after if "mod_ocsp_audit" in Path(k).name and after[k] == "dir"], \
        f"make uninstall left our directories: {sorted(after)}"
