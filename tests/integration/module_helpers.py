"""Helpers for test_module_audit.py: run apache2 with mod_ocsp_audit, parse its log lines,
compare them with ocsp-lint's findings, watch error logs.

Environment (on top of httpd.py's HTTPD, APXS, OCSP_LINT):
  OA_MODULE   mod_ocsp_audit.so (default /work/build/mod_ocsp_audit/.libs/mod_ocsp_audit.so)
"""

import collections
import importlib.util
import os
import re
import statistics
import time
from pathlib import Path

import httpd as H
import ocsp_fixtures as F

DEFAULT_MODULE = "/work/build/mod_ocsp_audit/.libs/mod_ocsp_audit.so"
PROJECT_DIR = Path(__file__).resolve().parents[2]
RULES_DIR = PROJECT_DIR / "tests" / "rules"

MPMS = ("event", "worker", "prefork")

# The module's own log level is raised to info so that notes (OA00012), the summary
# (OA00002, info when there is no error) and OA00003 show up; everything else stays at warn.
MODULE_LOGLEVEL = "LogLevel warn ocsp_audit:info"


def module_path():
    return os.environ.get("OA_MODULE") or DEFAULT_MODULE


def load_directive():
    return f'LoadModule ocsp_audit_module "{module_path()}"'


def mpm_directive(mpm):
    return f'LoadModule mpm_{mpm}_module "{H.module_dir()}/mod_mpm_{mpm}.so"'


# --------------------------------------------------------------------------- log lines

# Debian's default ErrorLogFormat (also what httpd prints on stderr before the logs are
# open): "[time] [module:level] [pid N:tid N] [file(line): ]MESSAGE"
_RE_LOG = re.compile(r"^\[(?P<time>[^\]]*)\] \[(?P<module>[^:\]]*):(?P<level>[a-z0-9]+)\] "
                     r"\[pid (?P<pid>\d+)(?::tid \d+)?\] (?:\[client [^\]]*\] )?"
                     r"(?P<msg>.*)$")

_RE_FINDING = re.compile(r"^OA000(?P<num>1[0-2]): (?P<severity>error|warning|note) "
                         r"(?P<file>.+?):(?P<line>-?\d+) "
                         r"\[(?P<rule>OA\d{3}) (?P<slug>[a-z0-9-]+)\] "
                         r"vhost (?P<vhost>.+?): (?P<message>.*?)(?: \(fix: (?P<hint>.*)\))?$")

_RE_LABEL = re.compile(r"^(?P<name>.*) \((?P<addrs>[^()]*)\)$")

# the log level each finding number must be logged at, and its severity
FINDING_LEVELS = {"10": ("error", "error"), "11": ("warn", "warning"), "12": ("info", "note")}

_RE_SUMMARY = re.compile(r"^OA00002: mod_ocsp_audit (?P<when>configtest|start|restart): "
                         r"(?P<vhosts>\d+) SSL virtual hosts?, (?P<errors>\d+) errors?, "
                         r"(?P<warnings>\d+) warnings?, (?P<notes>\d+) notes? "
                         r"\((?P<suppressed>\d+) suppressed\)(?P<rest>.*)$")

BAD_LEVELS = ("error", "crit", "alert", "emerg")


class LogLine:
    def __init__(self, raw, module=None, level=None, pid=None, msg=None):
        self.raw, self.module, self.level, self.pid = raw, module, level, pid
        self.msg = raw if msg is None else msg

    def __repr__(self):
        return f"LogLine({self.raw!r})"


def parse_log(text):
    """Every line of an error log (or of httpd's stderr) as LogLine; lines not in the
    error log format have module/level None and msg the whole line."""
    out = []
    for raw in text.splitlines():
        m = _RE_LOG.match(raw)
        if m:
            out.append(LogLine(raw, m.group("module"), m.group("level"), int(m.group("pid")),
                               m.group("msg")))
        else:
            out.append(LogLine(raw))
    return out


def vhost_name(label):
    """The vhost name of the module's label, comparable with ocsp-lint's JSON "vhost":
    "good.test (*:443)" -> "good.test"; "main server x" -> "x"; "(no name) (..)",
    "main server", "(server)" -> None."""
    if label == "(server)" or label == "main server":
        return None
    if label.startswith("main server "):
        return label[len("main server "):]
    m = _RE_LABEL.match(label)
    if not m:
        return label
    return None if m.group("name") == "(no name)" else m.group("name")


class Finding(collections.namedtuple("Finding", "rule severity file line vhost")):
    def __str__(self):
        return f"{self.rule} {self.severity} {self.file}:{self.line} vhost={self.vhost}"


def module_findings(text):
    """(findings, problems) from a log text: findings as dicts (num, level, severity,
    file, line, rule, slug, label, vhost, message, hint, raw); problems: OA0001x lines
    that do not parse, or whose log level does not match their number and severity."""
    findings, problems = [], []
    for ll in parse_log(text):
        i = ll.msg.find("OA0001")
        if i < 0:
            continue
        if ll.module != "ocsp_audit":
            problems.append(f"OA0001x line not from the ocsp_audit module: {ll.raw}")
            continue
        m = _RE_FINDING.match(ll.msg)
        if not m:
            problems.append(f"OA0001x line in an unexpected format: {ll.raw}")
            continue
        d = m.groupdict()
        d["line"] = int(d["line"])
        d["label"] = d.pop("vhost")
        d["vhost"] = vhost_name(d["label"])
        d["level"] = ll.level
        d["raw"] = ll.raw
        want_level, want_sev = FINDING_LEVELS[d["num"]]
        if ll.level != want_level or d["severity"] != want_sev:
            problems.append(f"OA000{d['num']} with severity {d['severity']} logged at level "
                            f"{ll.level} (expected {want_sev} at {want_level}): {ll.raw}")
        findings.append(d)
    return findings, problems


def finding_key(d, with_vhost=True):
    file = d.get("file")
    if file in ("?", None):
        file = None
    return Finding(d["rule"], d["severity"], file, d["line"], d["vhost"] if with_vhost else None)


def summaries(text):
    """The OA00002 lines of a log text: [(LogLine, match dict)]."""
    out = []
    for ll in parse_log(text):
        if ll.msg.startswith("OA00002:"):
            m = _RE_SUMMARY.match(ll.msg)
            out.append((ll, m.groupdict() if m else None))
    return out


def module_lines(text):
    """Every line the module logged (LogLine with module ocsp_audit)."""
    return [ll for ll in parse_log(text) if ll.module == "ocsp_audit"]


def bad_lines(text, expected=()):
    """Lines at error level or worse (error, crit, alert, emerg) that match none of the
    regular expressions in expected (as mod_md's test suite checks its error log)."""
    pats = [re.compile(p) for p in expected]
    return [ll.raw for ll in parse_log(text)
            if ll.level in BAD_LEVELS and not any(p.search(ll.raw) for p in pats)]


# --------------------------------------------------------------------------- running

def configtest(root, conf, defines=(), pre=(), post=(), env=None, with_module=True,
               loglevel=MODULE_LOGLEVEL):
    """`apache2 [-C LoadModule ocsp_audit_module ...] -C pre... -c post... -t`; the module's
    log level is raised to info with a -c LogLevel (after the config) unless loglevel is
    None or the module is not loaded with -C. Returns the CompletedProcess."""
    extra = []
    if with_module:
        extra += ["-C", load_directive()]
    for d in pre:
        extra += ["-C", d]
    for d in post:
        extra += ["-c", d]
    if loglevel and with_module:
        extra += ["-c", loglevel]
    return H.run_httpd(H.httpd_args(root, conf, defines, extra + ["-t"]), env)


def lint(root, conf, defines=(), pre=(), post=(), env=None, options=()):
    """ocsp-lint --format json on the same files; returns H.LintResult. --require-files:
    httpd reads the same files here, so a missing one is an error for both."""
    args = ["--format", "json", "-d", root, conf, "--no-envvars", "--require-files"]
    for d in defines:
        args += ["-D", d]
    for d in pre:
        args += ["-C", d]
    for d in post:
        args += ["-c", d]
    return H.run_lint(args + list(options), env=env)


def lint_findings(result):
    """The findings of an ocsp-lint JSON document, with "vhost" as in the JSON."""
    data = result.data or {}
    return [dict(f) for f in data.get("findings") or []]


def compare_findings(module_list, lint_list, with_vhost=True):
    """Differences between two finding lists as multisets of Finding keys: (only_module,
    only_lint), each a sorted list of Finding."""
    cm = collections.Counter(finding_key(d, with_vhost) for d in module_list)
    cl = collections.Counter(finding_key(d, with_vhost) for d in lint_list)
    key = lambda f: (str(f.file), f.line, f.rule, str(f.vhost), f.severity)
    return sorted((cm - cl).elements(), key=key), sorted((cl - cm).elements(), key=key)


def median_time(cmd_fn, runs=3):
    """Run cmd_fn() runs times; (median seconds, [CompletedProcess])."""
    times, results = [], []
    for _ in range(runs):
        t0 = time.monotonic()
        results.append(cmd_fn())
        times.append(time.monotonic() - t0)
    return statistics.median(times), results


def wait_for(predicate, timeout=30.0, interval=0.1):
    """Poll predicate() until it is true (returns its value) or timeout (returns None)."""
    return F.wait_until(predicate, timeout, interval) or None


# --------------------------------------------------------------------------- PKI and files

make_pki = F.make_pki     # tools/make-test-pki.sh DIRECTORY OCSP_URL -> Path


def make_rules_pki(directory, ocsp_port):
    """The PKI of tests/rules/run.py (make_pki: make-test-pki.sh plus the extra files its
    cases name), else make-test-pki.sh alone. Returns the directory as Path."""
    directory = Path(directory)
    runner = RULES_DIR / "run.py"
    maker = None
    if runner.is_file():
        spec = importlib.util.spec_from_file_location("oa_rules_run", runner)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        maker = getattr(mod, "make_pki", None)
    if maker is None:
        return make_pki(directory, f"http://127.0.0.1:{ocsp_port}/")
    directory.mkdir(parents=True, exist_ok=True)
    maker(directory, ocsp_port)
    F.open_tree(directory)
    return directory


def write_files(root, files, values):
    """Write {relative path: text} below root, with str.format-style {NAME} replaced by
    values (only names in values: other braces stay as they are). Returns root."""
    root = Path(root)
    for rel, text in files.items():
        for k, v in values.items():
            text = text.replace("{" + k + "}", str(v))
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    for d in ("run", "logs", "htdocs"):
        (root / d).mkdir(exist_ok=True)
    H.widen_modes(root)
    return root


def line_of(path, needle, nth=1):
    """The 1-based number of the nth line of path that contains needle."""
    seen = 0
    for i, ln in enumerate(Path(path).read_text().splitlines(), 1):
        if needle in ln:
            seen += 1
            if seen == nth:
                return i
    raise AssertionError(f"{needle!r} (#{nth}) not found in {path}")


def base_config(root, mpm="event", ssl=True, modules=(), audit=False, listen=()):
    """The head of a self-contained config (ServerRoot root), ending with a newline.
    audit: also load mod_ocsp_audit (and raise its log level to info)."""
    mods = [mpm_directive(mpm) if mpm else None,
            f'LoadModule authz_core_module "{H.module_dir()}/mod_authz_core.so"']
    if ssl:
        mods += [f'LoadModule socache_shmcb_module "{H.module_dir()}/mod_socache_shmcb.so"',
                 f'LoadModule ssl_module "{H.module_dir()}/mod_ssl.so"']
    mods += [f'LoadModule {m}_module "{H.module_dir()}/mod_{m}.so"' for m in modules]
    if audit:
        mods.append(load_directive())
    lines = [f'ServerRoot "{root}"', f'DefaultRuntimeDir "{root}/run"',
             f'PidFile "{root}/run/httpd.pid"', f'ErrorLog "{root}/logs/error.log"']
    lines += [m for m in mods if m]
    lines.append(MODULE_LOGLEVEL if audit else "LogLevel warn")
    lines += ["ServerName main.test", f'DocumentRoot "{root}/htdocs"']
    lines += [f"Listen 127.0.0.1:{p}" for p in listen]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- OCSP responder

# an OCSP responder on 127.0.0.1 only, in this process (`openssl ocsp -reqin/-respout`)
LoopbackResponder = F.LoopbackResponder
