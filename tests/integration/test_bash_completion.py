"""contrib/bash-completion/ocsp-lint in a real bash: options, formats, levels, rule IDs and
slugs (from the ocsp-lint under test) for --select/--skip (comma lists), --explain, and the
probe subcommand. The option lists themselves are checked against the C tables by
test_docs_drift.py.

Run:  OCSP_LINT=build/dev/lint/ocsp-lint /usr/bin/python3 -m pytest tests/integration/test_bash_completion.py
"""

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

TOP = Path(os.environ.get("top_srcdir") or Path(__file__).resolve().parents[2])
COMPLETION = TOP / "contrib/bash-completion/ocsp-lint"


@pytest.fixture(scope="module")
def complete(lint_bin, tmp_path_factory):
    """complete(words, cword=None) -> COMPREPLY as a list, for ocsp-lint WORDS..."""
    bash = shutil.which("bash")
    if not bash:
        pytest.fail("bash is missing")
    bindir = tmp_path_factory.mktemp("bin")
    (bindir / "ocsp-lint").symlink_to(os.path.abspath(lint_bin))

    def run(words, cword=None):
        words = ["ocsp-lint"] + list(words)
        cword = len(words) - 1 if cword is None else cword
        script = (f"source {shlex.quote(str(COMPLETION))}\n"
                  f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)}); COMP_CWORD={cword}\n"
                  "_ocsp_lint; printf '%s\\n' \"${COMPREPLY[@]}\"\n")
        out = subprocess.run([bash, "--norc", "--noprofile", "-c", script], capture_output=True,
                             text=True, timeout=30, cwd=bindir,   # no stray file names
                             env={"PATH": f"{bindir}:/usr/bin:/bin", "LC_ALL": "C"})
        assert out.returncode == 0 and not out.stderr, out.stderr
        return [l for l in out.stdout.splitlines() if l]
    return run


def rules(lint_bin):
    out = subprocess.run([lint_bin, "--list-rules"], capture_output=True, text=True, timeout=30)
    return [tuple(l.split()[:2]) for l in out.stdout.splitlines() if l.startswith("OA")]


def test_options(complete):
    assert complete(["--fo"]) == ["--format"]
    assert set(complete(["--s"])) == {"--server-root", "--select", "--skip", "--srcroot",
                                      "--show-suppressed"}
    assert "-q" in complete(["-"]) and "--list-rules" in complete(["--"])


def test_values(complete):
    assert complete(["--format", ""]) == ["text", "json", "sarif", "gitlab"]
    assert complete(["--format", "=", "s"]) == ["sarif"]       # --format=s, as bash splits it
    assert complete(["--fail-on", ""]) == ["note", "warning", "error"]


def test_rules_for_select_skip_explain(complete, lint_bin):
    all_rules = rules(lint_bin)
    assert len(all_rules) > 10
    ids = [r[0] for r in all_rules]
    slugs = [r[1] for r in all_rules]
    assert set(complete(["--select", ""])) == set(ids + slugs)
    assert complete(["--explain", "OA20"]) == [i for i in ids if i.startswith("OA20")]
    assert complete(["--explain", "issuer-"]) == ["issuer-not-found"]
    got = complete(["--skip", "OA101,stapling-o"])
    assert got == ["OA101,stapling-off"]


def test_probe(complete):
    assert complete(["probe", "--con"]) == ["--concurrency"]
    assert complete(["probe", "--format", ""]) == ["text", "json"]
    assert "--vhosts" not in complete(["probe", "--"])
    assert complete(["pro"]) == ["probe"]
