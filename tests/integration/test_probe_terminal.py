"""`ocsp-lint probe` as a person runs it: on a terminal and across the nodes of a cluster.

  test_cluster_node_that_differs   three nodes serve www.test (one httpd, one port each);
                                   the third does not staple: the probe names that node
                                   and how it differs, in text and in JSON
  test_colour_only_on_a_terminal   ANSI colours on a pseudo-terminal, none in a pipe or
                                   with NO_COLOR set; each host's report as it ends

Run:  /usr/bin/python3 -m pytest tests/integration/test_probe_terminal.py
"""

import os
import pty
import select
import subprocess
import time

import pytest

import httpd as H
import status_helpers as S


# every helper process a test starts is stopped by it (conftest.helpers_stopped)
pytestmark = pytest.mark.usefixtures("helpers_stopped")


def _cluster_conf(root, pki, ports):
    """One httpd, one IP-based vhost per port, all named www.test, with a certificate for
    www.test (issued once per PKI: one that does not cover the name is a name-mismatch);
    the last without stapling: the odd node of a cluster."""
    if not pki.cert("www").exists():
        S.add_leaf(pki, "www")
    mods = H.module_dir()
    (root / "run").mkdir(parents=True, exist_ok=True)
    lines = [f'ServerRoot "{root}"', f'DefaultRuntimeDir "{root}/run"',
             f'PidFile "{root}/run/httpd.pid"', f'ErrorLog "{root}/error.log"',
             "ServerName main.test"]
    lines += [f'LoadModule {m}_module "{mods}/mod_{m}.so"'
              for m in ("mpm_event", "authz_core", "socache_shmcb", "ssl")]
    lines.append(f'SSLStaplingCache "shmcb:{root}/run/stapling(65536)"')
    for i, port in enumerate(ports):
        lines += [f"Listen 127.0.0.1:{port}", f"<VirtualHost 127.0.0.1:{port}>",
                  "    ServerName www.test", "    SSLEngine on",
                  f'    SSLCertificateFile "{pki.cert("www")}"',
                  f'    SSLCertificateKeyFile "{pki.key("www")}"',
                  f"    SSLUseStapling {'off' if i == len(ports) - 1 else 'on'}",
                  "</VirtualHost>"]
    conf = root / "httpd.conf"
    conf.write_text("\n".join(lines) + "\n")
    S.readable_tree(root)
    return conf


def _cluster(workdir, n):
    """A test PKI with its responder's port, and _cluster_conf for n nodes:
    (pki, rport, ports, conf, nodes as HOST:PORT)."""
    rport = H.free_port()
    pki = S.make_pki(workdir / "pki", f"http://127.0.0.1:{rport}/")
    ports = [H.free_port() for _ in range(n)]
    conf = _cluster_conf(workdir / "site", pki, ports)
    return pki, rport, ports, conf, [f"127.0.0.1:{p}" for p in ports]


def test_cluster_node_that_differs(httpd_bin, lint_bin, workdir):
    pki, rport, ports, conf, nodes = _cluster(workdir, 3)
    with S.Responder(pki, rport), \
            H.HttpdInstance(workdir / "site", conf, workdir / "run", ports=ports):
        for n in nodes:      # mod_ssl fetches its staple at the first handshake
            S.tls_handshake(int(n.split(":")[1]), "www.test")
        text = H.run_lint(["probe", "--sni", "www.test"] + nodes, timeout=120)
        js = H.run_lint(["probe", "--format", "json", "--sni", "www.test"] + nodes,
                        timeout=120)
    odd = nodes[-1]
    assert text.returncode == 1, text.stdout + text.stderr
    lines = text.stdout.splitlines()
    differs = [ln for ln in lines if " differs: " in ln]
    assert differs == [f"{odd} differs: stapling no-staple, the others stapled"], \
        text.stdout
    assert lines[-1] == "1 of 3 hosts with a problem", text.stdout
    d = js.data["differences"]
    assert d == [{"target": odd, "ip": "127.0.0.1", "aspect": "stapling",
                  "value": "no-staple", "others": "stapled"}], d


def _run_on_pty(args, env, timeout=60):
    """Run with stdout on a pseudo-terminal; everything it printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdout=slave, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    out, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.5)
            if r:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    return out.decode("utf-8", "replace")


def test_colour_only_on_a_terminal(httpd_bin, lint_bin, workdir):
    pki, rport, ports, conf, nodes = _cluster(workdir, 2)
    args = [lint_bin, "probe", "--sni", "www.test"] + nodes
    env = H.minimal_env()
    with S.Responder(pki, rport), \
            H.HttpdInstance(workdir / "site", conf, workdir / "run", ports=ports):
        tty = _run_on_pty(args, env)
        no_colour = _run_on_pty(args, dict(env, NO_COLOR="1"))
        piped = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    assert "\033[32m" in tty and "\033[0m" in tty, repr(tty[:2000])
    assert "\033[" not in no_colour, repr(no_colour[:2000])
    assert "\033[" not in piped.stdout, repr(piped.stdout[:2000])
    # one report per node, each complete before the summary
    for out in (tty, no_colour, piped.stdout):
        assert sum(1 for ln in out.splitlines() if ln.startswith("127.0.0.1:")
                   and " SNI www.test: " in ln) == 2, out
