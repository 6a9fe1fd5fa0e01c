"""Fixtures for the integration tests (see httpd.py for the helpers they wrap).

Run:  /usr/bin/python3 -m pytest tests/integration        (from the project root)

Environment: HTTPD, APXS, OCSP_LINT (see httpd.py); OA_REQUIRE_LINT=1 turns a missing
ocsp-lint (and a missing httpd) into failures instead of skips; OA_KEEP_TMP=1 keeps the
per-test directories made when running as root.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

import httpd as H


def _required():
    return bool(os.environ.get("OA_REQUIRE_LINT") or os.environ.get("OA_REQUIRE_HTTPD"))


def pytest_sessionfinish(session, exitstatus):
    H.stop_all()


@pytest.fixture(scope="session")
def httpd_bin():
    """The httpd binary; skipped when missing (a failure when OA_REQUIRE_LINT/_HTTPD is set)."""
    path = H.httpd_binary()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        msg = f"httpd binary {path} not found (set HTTPD)"
        if _required():
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def lint_bin():
    """The ocsp-lint binary. Skipped only when it does not exist AND OA_REQUIRE_LINT is unset."""
    path = H.lint_binary()
    if not os.path.exists(path):
        msg = f"ocsp-lint not built: {path} does not exist (set OCSP_LINT)"
        if os.environ.get("OA_REQUIRE_LINT"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def modules_dir(httpd_bin):
    return H.module_dir()


@pytest.fixture
def workdir(tmp_path):
    """A temporary directory per test.

    Without root this is pytest's tmp_path. As root httpd's children run as www-data and
    cannot enter /tmp/pytest-of-root (0700), so a world-readable directory is made instead
    (removed afterwards unless OA_KEEP_TMP is set).
    """
    if os.geteuid() != 0:
        yield tmp_path
        return
    d = Path(tempfile.mkdtemp(prefix="oa-it-"))
    d.chmod(0o755)
    try:
        yield d
    finally:
        if not os.environ.get("OA_KEEP_TMP"):
            shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def helpers_stopped():
    """Stops what a test left running of the helpers it started (responders, Prometheus,
    servers), and fails it for leaving them; those running before (a module-scoped
    fixture's responder) stay."""
    import status_helpers as S
    before = S.running()
    yield
    left = S.stop_all(keep=before)
    assert not left, f"helpers left running by the test: {left}"


@pytest.fixture
def free_port():
    """A function returning a free 127.0.0.1 TCP port each time it is called."""
    return H.free_port


@pytest.fixture(scope="session")
def test_cert(tmp_path_factory):
    """(cert, key): a self-signed certificate for secure.test made with openssl.

    The key lives under pytest's base temp dir: only the httpd parent (root when we are)
    reads it.
    """
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    d = tmp_path_factory.mktemp("cert")
    if os.geteuid() == 0:
        d = Path(tempfile.mkdtemp(prefix="oa-it-cert-"))
        d.chmod(0o755)
    try:
        yield H.make_test_cert(d)
    finally:
        if os.geteuid() == 0 and not os.environ.get("OA_KEEP_TMP"):
            shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def make_tree(workdir, free_port, test_cert, httpd_bin):
    """make_tree(name, defines=(), env=None) -> httpd.Tree: trees/<name> rendered into
    workdir with three fresh ports (PORT1..PORT3), the module dir and the test certificate;
    env: variables for both httpd and ocsp-lint (on top of a minimal environment)."""
    def make(name, defines=(), env=None):
        ports = {f"PORT{i}": free_port() for i in (1, 2, 3)}
        tree = H.render_tree(name, workdir, ports, cert=test_cert[0], key=test_cert[1])
        tree.defines = tuple(defines)
        tree.env = dict(env or {})
        return tree
    return make


@pytest.fixture
def debian_tree(workdir, free_port, test_cert, httpd_bin):
    """Debian's /etc/apache2 copied into workdir with mod_ssl and default-ssl enabled,
    Listen on free 127.0.0.1 ports, the APACHE_* env vars pointing into workdir, and the
    snakeoil certificate (which `apache2 -t` insists on, unlike -S) replaced by test_cert."""
    if not os.path.isfile(os.path.join(H.DEBIAN_CONFDIR, "apache2.conf")):
        pytest.skip(f"{H.DEBIAN_CONFDIR}/apache2.conf not found")
    ports = {"http": free_port(), "https": free_port()}
    return H.make_debian_copy(workdir, ports, cert=test_cert[0], key=test_cert[1])


@pytest.fixture
def httpd_instance(workdir):
    """httpd_instance(tree_or_root, conf=None, ports=..., ...) -> a started HttpdInstance.

    Stopped at the end of the test whatever happens (also usable as a context manager).
    """
    started = []

    def start(tree_or_root, conf=None, ports=None, defines=None, env=None, **kw):
        if isinstance(tree_or_root, H.Tree):
            tree = tree_or_root
            root, conf = tree.root, conf or tree.conf
            ports = ports if ports is not None else list(tree.ports.values())
            defines = defines if defines is not None else tree.defines
            env = env if env is not None else tree.env
        else:
            root = tree_or_root
        run_dir = workdir / f"httpd-{len(started)}"
        inst = H.HttpdInstance(root, conf, run_dir, ports=ports, defines=defines or (),
                               env=env, **kw)
        started.append(inst)
        return inst.start()

    yield start
    for inst in started:
        inst.stop()
