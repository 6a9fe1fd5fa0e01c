"""The docs cannot drift from the code: man pages, docs/ocsp-lint.md and the bash
completion are checked against the tables in the source, read at test time.

- ocsp-lint's options: the `options[]` table of lint/lint_main.c and `probe_options[]` of
  lint/lint_probe.c (and `ocsp-lint --help` / `probe --help`, which print those tables).
  Each must be in docs/man/ocsp-lint.1, in docs/ocsp-lint.md and in the completion; an
  option they name that the tables lack is a failure too.
- formats (--format's parser), exit codes (lint/lint.h's enum).
- mod_ocsp_audit's directives: every AP_INIT_* row of the command tables in
  mod_ocsp_audit/*.c must be in docs/man/mod_ocsp_audit.8, in docs/ (mod_ocsp_audit.md
  or status-page.md) and in core/oa_modules.c's table (the linter's); every OA log
  number the module logs must be in the man page.

A new option, directive or log number shows up here as a failure that names it.

Run:  /usr/bin/python3 -m pytest tests/integration/test_docs_drift.py   (project root)
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

TOP = Path(os.environ.get("top_srcdir") or Path(__file__).resolve().parents[2])
MAN1 = TOP / "docs/man/ocsp-lint.1"
MAN8 = TOP / "docs/man/mod_ocsp_audit.8"
LINT_MD = TOP / "docs/ocsp-lint.md"
COMPLETION = TOP / "contrib/bash-completion/ocsp-lint"

OPT_ROW = re.compile(r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*(\'(.)\'|[A-Z_0-9]+)\s*,\s*([01])\s*,')


# --------------------------------------------------------------------------- source tables

def c_table(path, name):
    """[(long, short or None, has_arg)] of an apr_getopt_option_t table in a C file."""
    text = (TOP / path).read_text()
    m = re.search(r"apr_getopt_option_t\s+" + re.escape(name) + r"\[\]\s*=\s*\{(.*?)\n\};",
                  text, re.S)
    assert m, f"{path}: no table {name}[]"
    rows = [(r[0], r[2] or None, r[3] == "1") for r in OPT_ROW.findall(m.group(1))]
    assert rows, f"{path}: {name}[] has no rows I can read"
    return rows


def lint_options():
    return c_table("lint/lint_main.c", "options")


def probe_options():
    return c_table("lint/lint_probe.c", "probe_options")


def formats():
    """The values --format accepts, from lint_main.c's table of format names."""
    text = (TOP / "lint/lint_main.c").read_text()
    m = re.search(r"format_names\[\]\s*=\s*\{(.*?)\}", text, re.S)
    assert m, "lint_main.c: no format_names[] table"
    found = re.findall(r'"([a-z]+)"', m.group(1))
    assert found
    return found


def exit_codes():
    text = (TOP / "lint/lint.h").read_text()
    codes = [int(v) for v in re.findall(r"LINT_EXIT_[A-Z]+\s*=\s*(\d+)", text)]
    assert codes, "lint/lint.h: no LINT_EXIT_ enum"
    return codes


def directives():
    """Directive names of every command table in mod_ocsp_audit/*.c."""
    names = []
    for c in sorted((TOP / "mod_ocsp_audit").glob("*.c")):
        names += re.findall(r'AP_INIT_[A-Z0-9_]+\(\s*"([A-Za-z0-9]+)"', c.read_text())
    assert names, "no AP_INIT_ rows in mod_ocsp_audit/*.c"
    return sorted(set(names))


def log_numbers():
    """OA log numbers of the module: in the strings it logs and in the lists at the top of
    its files (the finding lines compute theirs, OA00010 + severity)."""
    nums = set()
    for c in sorted((TOP / "mod_ocsp_audit").glob("*.c")):
        nums |= set(re.findall(r"\b(OA\d{5})\b", c.read_text()))
    assert nums, "no OA log numbers in mod_ocsp_audit/*.c"
    return sorted(nums)


# --------------------------------------------------------------------------- doc readers

def roff_text(path):
    """The man page as plain text: \\- is -, font escapes gone."""
    t = path.read_text()
    t = t.replace("\\-", "-").replace("\\(em", "-")
    t = re.sub(r"\\f[BIRP]", "", t)
    return t


def roff_section(text, name):
    m = re.search(r"^\.SH " + re.escape(name) + r"\s*$(.*?)(?=^\.SH |\Z)", text, re.S | re.M)
    assert m, f"no section {name}"
    return m.group(1)


def long_opts_in(text):
    return set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", text))


def md_section(text, title):
    m = re.search(r"^## " + re.escape(title) + r"\s*$(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, f"no section ## {title}"
    return m.group(1)


def completion_list(var):
    text = COMPLETION.read_text()
    m = re.search(var + r'="([^"]*)"', text)
    assert m, f"{COMPLETION}: no {var}"
    return set(m.group(1).split())


def spelled(rows):
    """Every spelling of the options: --long and -s."""
    out = {f"--{r[0]}" for r in rows}
    out |= {f"-{r[1]}" for r in rows if r[1]}
    return out


# --------------------------------------------------------------------------- ocsp-lint

def test_help_prints_the_tables(lint_bin):
    out = subprocess.run([lint_bin, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    assert long_opts_in(out.stdout.split("Exit codes")[0]) == {r[0] for r in lint_options()}
    out = subprocess.run([lint_bin, "probe", "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    assert long_opts_in(out.stdout.split("Exit codes")[0]) == {r[0] for r in probe_options()}


def test_man_page_has_every_option():
    man = roff_text(MAN1)
    opts = roff_section(man, "OPTIONS")
    missing = [f"--{r[0]}" for r in lint_options() if r[0] not in long_opts_in(opts)]
    missing += [f"-{r[1]}" for r in lint_options()
                if r[1] and not re.search(r"(?m)^\.B[IR]? -" + re.escape(r[1]) + r"\b", opts)]
    assert not missing, f"{MAN1}: OPTIONS lacks {missing}"
    extra = long_opts_in(opts) - {r[0] for r in lint_options()}
    assert not extra, f"{MAN1}: OPTIONS names options ocsp-lint does not have: {extra}"


def test_man_page_has_probe_and_every_probe_option():
    probe = roff_section(roff_text(MAN1), "PROBE")
    have = long_opts_in(probe)
    want = {r[0] for r in probe_options()}
    assert want <= have, f"{MAN1}: PROBE lacks {sorted(want - have)}"
    assert have <= want, f"{MAN1}: PROBE names unknown options {sorted(have - want)}"
    assert "ocsp-lint probe" in roff_section(roff_text(MAN1), "EXAMPLES")


def test_man_page_formats_exit_codes_examples():
    man = roff_text(MAN1)
    opts = roff_section(man, "OPTIONS")
    fmt = opts[opts.index("--format"):].split(".TP")[0]
    for f in formats():
        assert re.search(r"\b" + f + r"\b", fmt), f"{MAN1}: --format does not name {f}"
    status = roff_section(man, "EXIT STATUS")
    for c in exit_codes():
        assert re.search(r"(?m)^\.B " + str(c) + r"\s*$", status), f"{MAN1}: exit code {c} missing"
    assert "ocsp-lint" in roff_section(man, "EXAMPLES")


def test_markdown_has_every_option():
    md = LINT_MD.read_text()
    opts = md_section(md, "Options")
    table = {r[0] for r in lint_options()}
    missing = sorted(table - long_opts_in(opts))
    missing += [f"-{r[1]}" for r in lint_options() if r[1] and f"`-{r[1]}" not in opts]
    assert not missing, f"{LINT_MD}: ## Options lacks {missing}"
    extra = long_opts_in(opts) - table
    assert not extra, f"{LINT_MD}: ## Options names options ocsp-lint does not have: {extra}"
    fmt_row = next(line for line in opts.splitlines() if line.startswith("| `--format"))
    for f in formats():
        assert f in fmt_row, f"{LINT_MD}: the --format row does not name {f}"
    probe = md_section(md, "probe")
    want = {r[0] for r in probe_options()}
    assert want == long_opts_in(probe), \
        f"{LINT_MD}: ## probe differs from probe_options[]: {sorted(want ^ long_opts_in(probe))}"
    status = md_section(md, "Exit status")
    for c in exit_codes():
        assert f"| {c} |" in status, f"{LINT_MD}: exit code {c} missing"


def test_completion_has_every_option_and_format():
    assert completion_list("_ocsp_lint_opts") == spelled(lint_options())
    assert completion_list("_ocsp_lint_probe_opts") == {f"--{r[0]}" for r in probe_options()}
    text = COMPLETION.read_text()
    assert re.search(r'compgen -W "' + " ".join(formats()) + '"', text), \
        f"{COMPLETION}: --format does not offer {formats()}"


# --------------------------------------------------------------------------- the module

def test_man_page_has_every_directive():
    man = roff_text(MAN8)
    sect = roff_section(man, "DIRECTIVES")
    have = set(re.findall(r"(?m)^\.BI? (Ocsp[A-Za-z]+)", sect))
    want = set(directives())
    assert want <= have, f"{MAN8}: DIRECTIVES lacks {sorted(want - have)}"
    assert have <= want, f"{MAN8}: DIRECTIVES names directives the module lacks: {sorted(have - want)}"


def test_markdown_has_every_directive():
    docs = (TOP / "docs/mod_ocsp_audit.md").read_text() + (TOP / "docs/status-page.md").read_text()
    missing = [d for d in directives() if not re.search(r"\b" + d + r"\b", docs)]
    assert not missing, f"docs/mod_ocsp_audit.md and docs/status-page.md lack {missing}"


def test_linter_knows_every_directive():
    """core/oa_modules.c's table is how ocsp-lint knows a directive: one it lacks makes the
    linter refuse a config httpd starts with ("Invalid command")."""
    table = (TOP / "core/oa_modules.c").read_text()
    known = set(re.findall(r'\{\s*"(Ocsp[A-Za-z]+)"\s*,\s*"mod_ocsp_audit\.c"\s*\}', table))
    missing = sorted(set(directives()) - known)
    assert not missing, f"core/oa_modules.c's directive table lacks {missing}"


def test_man_page_has_every_log_number():
    sect = roff_section(roff_text(MAN8), "LOG MESSAGES")
    have = set(re.findall(r"(?m)^\.B (OA\d{5})\s*$", sect))
    want = set(log_numbers())
    assert want <= have, f"{MAN8}: LOG MESSAGES lacks {sorted(want - have)}"
    assert have <= want, f"{MAN8}: LOG MESSAGES names numbers the module never logs: {sorted(have - want)}"


def test_man_page_has_the_status_page():
    sect = roff_section(roff_text(MAN8), "STATUS PAGE")
    for s in ("ocsp-audit-status", "/ocsp-status?auto", "/ocsp-status?json", "/ocsp-status?prometheus"):
        assert s in sect, f"{MAN8}: STATUS PAGE does not mention {s}"


@pytest.mark.parametrize("page", [MAN1, MAN8], ids=lambda p: p.name)
def test_man_page_renders_without_warnings(page):
    if not subprocess.run(["sh", "-c", "command -v man"], capture_output=True).returncode == 0:
        pytest.skip("man (man-db) is not installed")
    out = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", str(page)],
                         capture_output=True, text=True, timeout=60,
                         env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8",
                              "MANWIDTH": "80"})
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "", f"{page.name}: groff warnings:\n{out.stderr}"


def test_versions_agree():
    """configure.ac's version is the one the man pages and debian/changelog name."""
    m = re.search(r"AC_INIT\(\[mod_ocsp_audit\],\s*\[([^\]]+)\]", (TOP / "configure.ac").read_text())
    assert m, "configure.ac: no AC_INIT version"
    version = m.group(1)
    for page in (MAN1, MAN8):
        th = next(l for l in page.read_text().splitlines() if l.startswith(".TH "))
        assert f'"mod_ocsp_audit {version}"' in th, f"{page.name}: .TH names another version: {th}"
    first = (TOP / "debian/changelog").read_text().splitlines()[0]
    assert re.match(r"\S+ \(" + re.escape(version) + r"-\d+\)", first), \
        f"debian/changelog: {first!r} is not version {version}-N"
