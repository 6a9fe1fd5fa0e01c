"""tests/bench/hosting.py --small: the hosting-scale benchmark runs and prints every row of
issue 16's table. A proof that the benchmark works, not a timed test: no figure is
judged here (see tests/bench/README.md for the figures)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import status_helpers as S

BENCH = Path(__file__).resolve().parents[1] / "bench" / "hosting.py"

# one pattern per row of the table, in the order the benchmark prints them
ROWS = [
    r"== lint: ",
    *[rf"^\s+{n}\s+{c}\s+{f}\s" for c in ("shared", "distinct") for n in (100, 400)
      for f in ("-t", "text", "json", "sarif")],
    r"^100 vhosts, 100 certificates: without .* with .* time [\d.]+x",
    r"^400 vhosts, 1 certificate: without .* with .* time [\d.]+x",
    r"^start-up until it serves: without .* with .*: [\d.]+x",
    r"^memory \(PSS\): without .* with .*: [\d.]+x",
    r"^\s+100 vhosts: without .* with .*: [\d.]+x; module cost",
    r"^\s+400 vhosts: without .* with .*: [\d.]+x; module cost",
    r"^\s+100 vhosts: static page .* HTML .* JSON .* Prometheus ",
    r"^\s+400 vhosts: static page .* HTML .* JSON .* Prometheus ",
    *[rf"^\s+{k}\s+{c}: (round done in [\d.]+ s|NOT done after) .* children"
      for k in ("dropped", "hung") for c in ("1 certificate ", r"\d+ certificates")],
    r"^without [\d.]+% of a core, with [\d.]+%",
    r"^\s+keep-alive: req/s without \d+, with \d+ .* p99 .* server cpu/request",
    r"^new handshake: req/s without \d+, with \d+ .* p99 .* server cpu/request",
    r"^done$",
]


def test_hosting_bench_small_prints_every_row(httpd_bin, lint_bin):
    module = S.module_path()
    if not os.path.exists(module):
        pytest.fail(f"mod_ocsp_audit not built: {module} (set OA_MODULE)")
    env = dict(os.environ, OCSP_LINT=lint_bin, OA_MODULE=module, HTTPD=httpd_bin)
    env.pop("RUNS", None)
    r = subprocess.run([sys.executable, str(BENCH), "--small"], capture_output=True,
                       text=True, env=env, timeout=600)
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    lines = r.stdout.splitlines()
    pos = 0
    for pat in ROWS:
        rx = re.compile(pat)
        for k in range(pos, len(lines)):
            if rx.search(lines[k]):
                pos = k + 1
                break
        else:
            pytest.fail(f"no line matching {pat!r} after line {pos}:\n{r.stdout}")
    assert not r.stderr.strip(), r.stderr
