"""The Debian packages, end to end, on this machine.

1. Build libapache2-mod-ocsp-audit and ocsp-lint with `dpkg-buildpackage -us -uc -b` from a
   clean clone of the repository (HEAD: uncommitted changes are not in it), with
   DEB_BUILD_OPTIONS=nocheck (the suite runs those tests itself).
2. lintian on the result: no error and no warning (overrides need a reason, see debian/).
3. Snapshot /etc/apache2, the module directory and /var/lib/apache2 (file list, link
   targets, modes, SHA-256 of every file).
4. Install both with dpkg, `a2enmod ocsp_audit`, `apache2ctl configtest`; check the installed
   man pages, --explain and the bash completion; copy /etc/apache2 as it now is into a
   temporary directory (Listen moved to free 127.0.0.1 ports, mod_ssl and default-ssl
   enabled there, never port 80), start apache2 from the copy and fetch
   /ocsp-status?json from 127.0.0.1, which the package's `Require local` must allow.
5. Purge both packages, also when a step above failed (finally), and check that the three
   trees are exactly as in the snapshot.

The packages are installed for a few seconds only (the test prints how long; dpkg's
man-db trigger takes most of it): other tests copy /etc/apache2. As on any Debian machine,
installing and purging the module package restarts the system's apache2 service when it is
running and invoke-rc.d allows it (containers usually deny it with policy-rc.d); the test
itself never uses the system's service or its ports.

Skipped (with the reason) only when not root or when dpkg-buildpackage is missing; with
CI=true even those are failures. Everything else missing is a failure.

Run:  /usr/bin/python3 -m pytest tests/integration/test_debian_package.py   (as root)
"""

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

import httpd as H

TOP = Path(os.environ.get("top_srcdir") or Path(__file__).resolve().parents[2])
PACKAGES = ("libapache2-mod-ocsp-audit", "ocsp-lint")
CI = os.environ.get("CI") == "true"
LOCK = "/run/lock/oa-debian-package-test.lock"
STATE_TREES = ("/etc/apache2", "/var/lib/apache2")


def skip_or_fail(msg):
    if CI:
        pytest.fail(f"{msg} (CI=true: not skipped)")
    pytest.skip(msg)


def need_tool(name):
    path = shutil.which(name, path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    if not path:
        pytest.fail(f"{name} is missing: tools/deps.sh test installs it")
    return path


def run(args, timeout=120, check=True, **kw):
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                         timeout=timeout, stdin=subprocess.DEVNULL, **kw)
    if check and out.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {out.returncode}\n"
                    f"--- stdout:\n{out.stdout[-4000:]}\n--- stderr:\n{out.stderr[-4000:]}")
    return out


def installed(pkg):
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", pkg], capture_output=True, text=True)
    return out.returncode == 0 and "not-installed" not in out.stdout and out.stdout.strip() != ""


def dpkg(args, timeout=300):
    """dpkg with a bounded wait for its lock (another engineer's apt may hold it)."""
    deadline = time.monotonic() + 120
    while True:
        out = subprocess.run(["dpkg"] + [str(a) for a in args], capture_output=True, text=True,
                             timeout=timeout, stdin=subprocess.DEVNULL,
                             env=dict(H.minimal_env(), DEBIAN_FRONTEND="noninteractive"))
        if out.returncode == 0 or "lock" not in out.stderr or time.monotonic() > deadline:
            return out
        time.sleep(2)


# --------------------------------------------------------------------------- snapshots

def snapshot(roots):
    """{path: description} of every entry below the roots: kind, mode, link target, sha256."""
    snap = {}
    for root in roots:
        if not os.path.lexists(root):
            snap[root] = ("absent",)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            st = os.lstat(dirpath)
            snap[dirpath] = ("dir", stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
            for n in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                p = os.path.join(dirpath, n)
                st = os.lstat(p)
                if stat.S_ISLNK(st.st_mode):
                    snap[p] = ("link", os.readlink(p))
                elif stat.S_ISREG(st.st_mode):
                    with open(p, "rb") as f:
                        digest = hashlib.sha256(f.read()).hexdigest()
                    snap[p] = ("file", stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, digest)
                else:
                    snap[p] = ("other", stat.S_IFMT(st.st_mode))
    return snap


def diff(before, after):
    lines = []
    for p in sorted(set(before) | set(after)):
        if before.get(p) != after.get(p):
            lines.append(f"{p}: before {before.get(p, 'absent')}, now {after.get(p, 'absent')}")
    return lines


def remove_new_empty_dirs(before, root):
    """a2enmod/a2dismod leave their empty state directories (…/enabled_by_maint) behind."""
    for dirpath, _, _ in sorted(os.walk(root), key=lambda t: -len(t[0])):
        if dirpath not in before:
            with contextlib.suppress(OSError):
                os.rmdir(dirpath)


# --------------------------------------------------------------------------- the steps

def build_packages(tmp):
    src = tmp / "src"
    run(["git", "clone", "--quiet", "--no-hardlinks", TOP, src], timeout=300)
    env = dict(H.minimal_env(), DEB_BUILD_OPTIONS=f"nocheck parallel={os.cpu_count() or 1}",
               HOME=str(tmp))
    out = run(["nice", "dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env,
              timeout=900, check=False)
    assert out.returncode == 0, ("dpkg-buildpackage failed\n" + out.stdout[-6000:]
                                 + "\n" + out.stderr[-3000:])
    debs = {p: next(tmp.glob(f"{p}_*.deb"), None) for p in PACKAGES}
    assert all(debs.values()), f"packages not built: {debs}; in {sorted(os.listdir(tmp))}"
    changes = next(tmp.glob("*.changes"))
    return debs, changes


def check_lintian(changes):
    out = run(["lintian", "--fail-on", "error,warning", "--info", "--tag-display-limit", "0",
               changes], timeout=600, check=False, env=H.minimal_env())
    tags = [l for l in out.stdout.splitlines() if l[:2] in ("E:", "W:")]
    print("lintian:\n" + out.stdout + out.stderr)
    assert out.returncode == 0 and not tags, "lintian:\n" + out.stdout + out.stderr


def check_installed_tools(moddir):
    assert os.path.isfile(os.path.join(moddir, "mod_ocsp_audit.so"))
    for page in ("ocsp-lint", "mod_ocsp_audit"):
        out = run(["man", "-w", page], env=H.minimal_env(), check=False)
        assert out.returncode == 0 and "/usr/share/man/" in out.stdout, f"man {page}: {out.stderr}"
    out = run(["/usr/bin/ocsp-lint", "--explain", "OA201"], env=H.minimal_env())
    assert "issuer-not-found" in out.stdout
    script = ("source /usr/share/bash-completion/completions/ocsp-lint; "
              "COMP_WORDS=(ocsp-lint --explain OA20); COMP_CWORD=2; _ocsp_lint; "
              'echo "${COMPREPLY[*]}"')
    out = run(["bash", "-c", script], env=H.minimal_env())
    assert "OA201" in out.stdout.split(), out.stdout


def fetch_status(tmp, test_cert):
    """apache2 from a copy of the installed /etc/apache2 on free loopback ports."""
    ports = {"http": H.free_port(), "https": H.free_port()}
    work = tmp / "run"
    work.mkdir()
    work.chmod(0o755)
    tree = H.make_debian_copy(work, ports, cert=test_cert[0], key=test_cert[1])
    H.widen_modes(work)
    enabled = tree.root / "mods-enabled"
    assert (enabled / "ocsp_audit.load").exists() and (enabled / "ocsp_audit.conf").exists()
    with H.HttpdInstance(tree.root, tree.conf, work / "httpd", ports=list(ports.values()),
                         env=tree.env) as inst:
        url = f"http://127.0.0.1:{ports['http']}/ocsp-status?json"
        with urllib.request.urlopen(url, timeout=20) as resp:
            assert resp.status == 200
            doc = json.loads(resp.read().decode())
    assert {"generated_at", "summary", "vhosts"} <= set(doc), doc
    assert doc["summary"]["vhosts"] == len(doc["vhosts"]) >= 1, doc
    return doc


# --------------------------------------------------------------------------- the test

def test_packages_build_lint_install_enable_purge(test_cert):
    if os.geteuid() != 0:
        skip_or_fail("not root: installing the packages needs root")
    if not shutil.which("dpkg-buildpackage"):
        skip_or_fail("dpkg-buildpackage is missing (apt-get install dpkg-dev; tools/deps.sh test)")
    for tool in ("git", "lintian", "fakeroot", "dh", "apache2ctl", "a2enmod", "man"):
        need_tool(tool)
    moddir = H.module_dir()
    for p in PACKAGES:
        assert not installed(p), (f"{p} is installed already: this test would remove it. "
                                  f"Purge it first (dpkg --purge {p}).")

    tmp = Path(tempfile.mkdtemp(prefix="oa-deb-"))
    tmp.chmod(0o755)
    lock = open(LOCK, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        debs, changes = build_packages(tmp)
        check_lintian(changes)

        roots = STATE_TREES + (moddir,)
        before = snapshot(roots)
        failure = None
        t0 = time.monotonic()
        try:
            out = dpkg(["-i"] + [debs[p] for p in PACKAGES])
            assert out.returncode == 0, f"dpkg -i: {out.stdout}\n{out.stderr}"
            out = run(["a2enmod", "ocsp_audit"], env=H.minimal_env())
            assert "ocsp_audit" in out.stdout
            out = run(["apache2ctl", "configtest"], env=H.minimal_env(), check=False)
            assert out.returncode == 0 and "Syntax OK" in out.stderr + out.stdout, \
                f"apache2ctl configtest:\n{out.stdout}{out.stderr}"
            check_installed_tools(moddir)
            fetch_status(tmp, test_cert)
        except BaseException as e:   # purge first, then report
            failure = e
        finally:
            out = dpkg(["--purge"] + list(PACKAGES))
            remove_new_empty_dirs(before, "/var/lib/apache2")
            after = snapshot(roots)
            print(f"the packages were installed for {time.monotonic() - t0:.1f} s")
        changed = diff(before, after)
        if changed or out.returncode != 0:
            print("NOT as before the install:\n" + "\n".join(changed))
        if failure:
            raise failure
        assert out.returncode == 0, f"dpkg --purge: {out.stdout}\n{out.stderr}"
        assert not changed, "not as before the install:\n" + "\n".join(changed)
    finally:
        lock.close()
        if not os.environ.get("OA_KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)
