#!/usr/bin/python3
"""Rule tests for ocsp-lint, one folder per rule (see README.md in this directory).

    tests/rules/<ID>-<slug>/*.conf       cases that must fire (each declares its findings)
    tests/rules/<ID>-<slug>/*_fp.conf    cases that must not fire

A case is a complete httpd main configuration. Comment lines at its top declare:

    # expect: OA201 error 17                one finding of the folder's rule (rule, severity,
                                            line in this file); one line per finding
    # expect-startup: ok|fails              ocsp-lint's prediction of httpd's start
    # expect-stapling: good.test broken     the stapling verdict of the vhost(s) of that name

The runner compares exactly the set of (rule, severity, file, line) of the folder's rule
(findings of other rules are ignored). It is also the meta-test: every rule of
`ocsp-lint --list-rules` needs a folder with a firing case, an _fp case and docs/rules/ID.md,
and some folder needs a suppressed_fp.conf that silences its rule with a comment.

Usage: run.py [--httpd] [--keep] [-v] [FOLDER|CASE ...]
  --httpd   also start the real httpd ($HTTPD, default /usr/sbin/apache2) on every case and
            check that it starts (or not) as the case and ocsp-lint predict, and, with an
            OCSP responder running, that the declared stapling verdicts hold on the wire
  --keep    keep the temporary directory (PKI, httpd logs) and print where it is
  -v        print the findings of every case
With FOLDER/CASE arguments only those cases run, and the meta checks are skipped.

Environment: OCSP_LINT (default /work/build/lint/ocsp-lint), top_srcdir (default: two
levels up from this file), HTTPD, OA_HTTPD_MODULES (default /usr/lib/apache2/modules, only
for the modules dir check in --httpd mode).
"""

import collections
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOP = Path(os.environ.get("top_srcdir") or HERE.parent.parent).resolve()
RULES_DIR = TOP / "tests" / "rules"
DOCS_DIR = TOP / "docs" / "rules"
PKI_SCRIPT = TOP / "tools" / "make-test-pki.sh"
# the JSON contract (docs/schema/), shared with the integration suite
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))
import schemas  # noqa: E402

LINT = os.environ.get("OCSP_LINT") or "/work/build/lint/ocsp-lint"
HTTPD = os.environ.get("HTTPD") or "/usr/sbin/apache2"

SEVERITIES = ("error", "warning", "note")
STAPLING_STATES = ("active", "off", "broken", "fatal")
FOLDER_RE = re.compile(r"^(OA\d{3})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
EXPECT_RE = re.compile(r"^#\s*expect(-[a-z]+)?\s*:\s*(.*?)\s*$")

# Tolerated lint exit codes: 0 clean, 1 findings. 2 (I/O) and 3 (unparsable) fail a case.
LINT_OK_CODES = (0, 1)


class CaseError(Exception):
    """The case file itself is malformed."""


# ----------------------------------------------------------------------------- helpers

def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(cmd, **kw)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


def rel(path):
    try:
        return str(Path(path).resolve().relative_to(RULES_DIR))
    except ValueError:
        return str(path)


# ----------------------------------------------------------------------------- the PKI

def openssl(args, cwd, env=None):
    r = run(["openssl"] + args, cwd=cwd, env=env)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args), r.stderr.strip()))
    return r


def cat(pki, out, *parts):
    with open(pki / out, "wb") as f:
        for p in parts:
            f.write((pki / p).read_bytes())


def make_pki(pki, ocsp_port):
    """tools/make-test-pki.sh, then the extra files the cases name (see README.md)."""
    r = run(["sh", str(PKI_SCRIPT), str(pki), "http://127.0.0.1:%d/" % ocsp_port])
    if r.returncode != 0:
        raise RuntimeError("make-test-pki.sh failed:\n" + r.stdout + r.stderr)

    # broken files for OA305
    (pki / "empty.pem").write_bytes(b"")
    (pki / "garbage.pem").write_text("This is not a certificate.\nIt has no PEM armour at all.\n")
    (pki / "bad-base64.pem").write_text("-----BEGIN CERTIFICATE-----\n"
                                        "MIIB!!this*is*not*base64!!\n"
                                        "-----END CERTIFICATE-----\n")
    # chains in the wrong shape for OA202
    cat(pki, "good-reversed.pem", "int.pem", "good.pem")        # CA first, leaf second
    cat(pki, "good-stale.pem", "good.pem", "other-int.pem")     # an unrelated intermediate
    cat(pki, "chain-reversed.pem", "root.pem", "int.pem")       # root before intermediate
    cat(pki, "good-misordered.pem", "good.pem", "root.pem", "int.pem")
    cat(pki, "good-fullchain-root.pem", "good.pem", "int.pem", "root.pem")
    # certificate, chain and key in one file (no SSLCertificateKeyFile needed)
    cat(pki, "good-combined.pem", "good.pem", "int.pem", "good.key")
    # an encrypted key (pass phrase "oa-test")
    openssl(["pkey", "-in", "good.key", "-aes256", "-passout", "pass:oa-test",
             "-out", "good-encrypted.key"], cwd=pki)
    # a hashed CA directory for SSLCACertificatePath
    (pki / "capath").mkdir()
    for f in ("int.pem", "root.pem"):
        shutil.copy(pki / f, pki / "capath" / f)
    openssl(["rehash", str(pki / "capath")], cwd=pki)
    # "future": valid from 30 days from now (OA302), issued like the script's leaves
    now = datetime.datetime.now(datetime.timezone.utc)
    start = (now + datetime.timedelta(days=30)).strftime("%Y%m%d%H%M%SZ")
    end = (now + datetime.timedelta(days=400)).strftime("%Y%m%d%H%M%SZ")
    env = dict(os.environ, OA_SAN="future.test")
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", "future.key"], cwd=pki)
    openssl(["req", "-new", "-key", "future.key", "-subj", "/CN=future.test",
             "-config", "ca.cnf", "-out", "future.csr"], cwd=pki, env=env)
    openssl(["ca", "-batch", "-config", "ca.cnf", "-cert", "int.pem", "-keyfile", "int.key",
             "-extensions", "v3_leaf", "-in", "future.csr", "-out", "future.pem", "-notext",
             "-startdate", start, "-enddate", end], cwd=pki, env=env)
    (pki / "future.csr").unlink()
    cat(pki, "future-fullchain.pem", "future.pem", "int.pem")
    # SSLPassPhraseDialog exec: program that answers the pass phrase of good-encrypted.key
    (pki / "askpass.sh").write_text("#!/bin/sh\necho oa-test\n")
    (pki / "askpass.sh").chmod(0o755)


# ----------------------------------------------------------------------------- cases

class Case:
    def __init__(self, path, rule_id):
        self.path = path.resolve()
        self.rule_id = rule_id
        self.is_fp = path.name.endswith("_fp.conf")
        self.expect = collections.Counter()   # (rule, severity, file, line): how many
        self.expect_lines = 0
        self.startup = None
        self.stapling = []           # (vhost name, state)
        self.text = path.read_text(encoding="utf-8", errors="replace")
        self._parse()

    def _parse(self):
        for no, line in enumerate(self.text.splitlines(), 1):
            s = line.strip()
            if not s:
                continue
            if not s.startswith("#"):
                break                # declarations only in the comment block at the top
            m = EXPECT_RE.match(s)
            if not m:
                if re.match(r"^#\s*expect", s):
                    raise CaseError("line %d: cannot read %r" % (no, s))
                continue
            kind, val = m.group(1) or "", m.group(2).split()
            if kind == "":
                if (len(val) != 3 or not re.match(r"^OA\d{3}$", val[0])
                        or val[1] not in SEVERITIES or not val[2].isdigit()):
                    raise CaseError("line %d: expect: RULE SEVERITY LINE, not %r" % (no, s))
                if val[0] != self.rule_id:
                    raise CaseError("line %d: expects %s in the folder of %s (declare only the "
                                    "folder's rule)" % (no, val[0], self.rule_id))
                self.expect[(val[0], val[1], str(self.path), int(val[2]))] += 1
                self.expect_lines += 1
            elif kind == "-startup":
                if len(val) != 1 or val[0] not in ("ok", "fails"):
                    raise CaseError("line %d: expect-startup: ok|fails, not %r" % (no, s))
                self.startup = val[0]
            elif kind == "-stapling":
                if len(val) != 2 or val[1] not in STAPLING_STATES:
                    raise CaseError("line %d: expect-stapling: VHOST %s, not %r"
                                    % (no, "|".join(STAPLING_STATES), s))
                self.stapling.append((val[0], val[1]))
            else:
                raise CaseError("line %d: unknown declaration %r" % (no, s))
        if self.is_fp and self.expect_lines:
            raise CaseError("an _fp case must not declare `# expect:` findings")
        if not self.is_fp and not self.expect_lines:
            raise CaseError("a firing case declares at least one `# expect:` finding "
                            "(or is named *_fp.conf)")
        if self.is_suppression and "ocsp-lint: disable=" not in self.text:
            raise CaseError("a suppressed*_fp.conf case must use `# ocsp-lint: disable=...`")

    @property
    def is_suppression(self):
        return self.path.name.startswith("suppressed") and self.is_fp

    @property
    def name(self):
        return rel(self.path)


def lint_case(case, env):
    # --require-files: each case is a server's own config, so a missing file is what
    # httpd meets too (without it ocsp-lint skips the checks that need the file)
    cmd = [LINT, "-d", str(case.path.parent), str(case.path), "--format", "json", "--no-envvars",
           "--require-files"]
    r = run(cmd, env=env, cwd=str(case.path.parent))
    if r.returncode not in LINT_OK_CODES:
        raise CaseError("ocsp-lint exited %d: %s" % (r.returncode, (r.stderr or r.stdout).strip()))
    try:
        doc = json.loads(r.stdout)
    except ValueError as e:
        raise CaseError("ocsp-lint printed no JSON (%s): %s" % (e, r.stdout[:500]))
    try:
        schemas.check(cmd[1:], r.stdout)
    except schemas.SchemaError as e:
        raise CaseError(str(e))
    return doc


def finding_str(f):
    return "%s %s %s:%s [%s] %s" % (f.get("rule"), f.get("severity"), rel(f.get("file") or "?"),
                                    f.get("line"), f.get("vhost") or "-",
                                    (f.get("message") or "")[:160])


def check_case(case, report):
    """Compare ocsp-lint's report with the declarations; a list of problems."""
    problems = []
    mine = [f for f in report.get("findings", []) if f.get("rule") == case.rule_id]
    got, sample = collections.Counter(), {}
    for f in mine:
        fpath = str(Path(f.get("file") or "").resolve()) if f.get("file") else ""
        key = (f.get("rule"), f.get("severity"), fpath, f.get("line"))
        got[key] += 1
        sample[key] = f
    # a multiset: the same finding twice at one place (once per vhost) is one too many
    for key in sorted((case.expect - got).elements(), key=lambda k: k[3]):
        problems.append("missing: %s %s line %d" % (key[0], key[1], key[3]))
    for key in sorted((got - case.expect).elements(), key=lambda k: (k[2], k[3] or 0)):
        problems.append("unexpected: " + finding_str(sample[key]))

    if case.startup and report.get("startup") != case.startup:
        problems.append("startup: expected %s, ocsp-lint predicts %s (%s)"
                        % (case.startup, report.get("startup"), report.get("startup_reason")))
    vhosts = report.get("vhosts", [])
    for name, state in case.stapling:
        matching = [v for v in vhosts if v.get("name") == name]
        if not matching:
            problems.append("stapling: no vhost named %s in the report" % name)
        for v in matching:
            if v.get("stapling") != state:
                problems.append("stapling of %s: expected %s, ocsp-lint says %s (%s)"
                                % (name, state, v.get("stapling"), v.get("stapling_reason")))
    if case.is_suppression:
        n = (report.get("summary") or {}).get("suppressed", 0)
        if not n:
            problems.append("suppression: the comment silenced nothing (summary.suppressed is 0): "
                            "the case would pass even without the comment")
    return problems


# ----------------------------------------------------------------------------- httpd mode

class Httpd:
    """Starts the real httpd on a case, only on 127.0.0.1, and judges what clients get."""

    def __init__(self, workdir, env, pki, ocsp_port):
        self.workdir = workdir
        self.env = env
        self.pki = pki
        self.ocsp_port = ocsp_port

    def start(self, case, port):
        run_dir = self.workdir / "httpd" / case.name.replace("/", "__")
        run_dir.mkdir(parents=True)
        env = dict(self.env, OA_TEST_RUN=str(run_dir), OA_TEST_PORT=str(port))
        log = open(run_dir / "stdout", "w")
        proc = subprocess.Popen([HTTPD, "-d", str(case.path.parent), "-f", str(case.path),
                                 "-DFOREGROUND"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            if proc.poll() is not None:
                return proc, run_dir, "fails"
            if port_open(port):
                return proc, run_dir, "ok"
            time.sleep(0.1)
        return proc, run_dir, "timeout"

    @staticmethod
    def stop(proc):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    @staticmethod
    def wire_stapling(port, name):
        """What a client asking for a staple gets: 'stapled' (a successful OCSP response),
        'error staple: STATUS' (an OCSP error response, e.g. a faked tryLater), 'none', or
        'fatal' (the handshake fails)."""
        r = run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", name,
                 "-status"], input="", timeout=60)
        out = r.stdout + r.stderr
        m = re.search(r"OCSP Response Status: (\w+)", out)
        if m:
            return "stapled" if m.group(1) == "successful" else "error staple: " + m.group(1)
        if "OCSP response: no response sent" in out:
            return "none"
        if "Cipher is (NONE)" in out or "alert" in out.lower():
            return "fatal"
        return "unclear (%s)" % " / ".join(out.strip().splitlines()[-3:])

    def check(self, case, report):
        problems = []
        port = free_port()
        responder = start_responder(self.pki, self.ocsp_port,
                                    self.workdir / ("ocsp-%d.log" % port))
        proc, run_dir, outcome = self.start(case, port)
        try:
            predicted = report.get("startup")
            declared = case.startup
            if outcome == "timeout":
                problems.append("httpd: neither started nor exited within 15 s")
            else:
                if declared and outcome != declared:
                    problems.append("httpd: the case declares startup %s, httpd %s"
                                    % (declared, "started" if outcome == "ok" else "refused to start"))
                if predicted != outcome:
                    problems.append("httpd: ocsp-lint predicts startup %s, httpd %s (%s)"
                                    % (predicted, "started" if outcome == "ok" else
                                       "refused to start", self.log_tail(run_dir)))
            if outcome == "ok":
                for name, state in case.stapling:
                    want = {"active": "stapled", "fatal": "fatal"}.get(state, "none")
                    for _ in range(20):      # mod_md fetches its staples in the background
                        wire = self.wire_stapling(port, name)
                        if wire == want or want != "stapled":
                            break
                        time.sleep(0.5)
                    if wire != want:
                        problems.append("httpd: %s declared %s, on the wire: %s"
                                        % (name, state, wire))
        finally:
            self.stop(proc)
            self.stop(responder)
        return problems

    @staticmethod
    def log_tail(run_dir):
        lines = []
        for f in ("stdout", "error.log"):
            p = run_dir / f
            if p.exists():
                lines += [l for l in p.read_text(errors="replace").splitlines()
                          if re.search(r"AH0(0526|0016|2312)|emerg|Syntax error|\]: ", l)
                          or "error" in l.lower()]
        return " | ".join(l[-200:] for l in lines[-3:]) or "no log"


def start_responder(pki, port, log):
    """`openssl ocsp` serving the PKI's database, for the --httpd stapling checks.

    It serves one connection at a time, and a client that connects and goes away without
    a request (as a readiness probe would) wedges it for good: so it is never probed (the
    runner waits for its "waiting for OCSP client connections" line) and every case gets
    a fresh one."""
    with open(log, "w") as out:
        proc = subprocess.Popen(["openssl", "ocsp", "-index", "db/index.txt", "-port", str(port),
                                 "-rsigner", "ocsp-signer.pem", "-rkey", "ocsp-signer.key",
                                 "-CA", "int.pem", "-ignore_err"], cwd=str(pki),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    for _ in range(200):
        if "waiting for OCSP client connections" in Path(log).read_text(errors="replace"):
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    Httpd.stop(proc)
    raise RuntimeError("the OCSP responder did not start on port %d: %s"
                       % (port, Path(log).read_text(errors="replace")))


# ----------------------------------------------------------------------------- meta test

def list_rules():
    r = run([LINT, "--list-rules"])
    if r.returncode != 0:
        raise RuntimeError("%s --list-rules exited %d: %s" % (LINT, r.returncode, r.stderr))
    rules = []
    for line in r.stdout.splitlines():
        w = line.split()
        if len(w) >= 2 and re.match(r"^OA\d{3}$", w[0]):
            rules.append((w[0], w[1]))
    if not rules:
        raise RuntimeError("%s --list-rules listed no rules" % LINT)
    return rules


def meta_checks(rules, folders):
    """(name, problems) items: one per rule, one for stray folders, one for suppression."""
    items = []
    by_name = {f.name: f for f in folders}
    known = set()
    for rid, slug in rules:
        name = "%s-%s" % (rid, slug)
        known.add(name)
        problems = []
        d = by_name.get(name)
        if d is None:
            others = [f.name for f in folders if f.name.startswith(rid + "-")]
            problems.append("no folder tests/rules/%s/%s" % (
                name, " (found %s: the slug differs)" % ", ".join(others) if others else ""))
        else:
            confs = sorted(d.glob("*.conf"))
            if not [c for c in confs if not c.name.endswith("_fp.conf")]:
                problems.append("no firing case (*.conf not named *_fp.conf)")
            if not [c for c in confs if c.name.endswith("_fp.conf")]:
                problems.append("no _fp case (*_fp.conf)")
        if not (DOCS_DIR / ("%s.md" % rid)).is_file():
            problems.append("no docs/rules/%s.md" % rid)
        items.append(("meta %s" % name, problems))
    stray = [f.name for f in folders if f.name not in known]
    items.append(("meta folders match --list-rules",
                  ["%s is not a rule of --list-rules" % s for s in stray]))
    supp = [c for f in folders for c in f.glob("suppressed*_fp.conf")
            if "ocsp-lint: disable=" in c.read_text(errors="replace")]
    items.append(("meta suppression case", [] if supp else
                  ["no folder has a suppressed_fp.conf using `# ocsp-lint: disable=...`"]))
    return items


# ----------------------------------------------------------------------------- main

def main(argv):
    args = [a for a in argv if not a.startswith("-")]
    opts = [a for a in argv if a.startswith("-")]
    for o in opts:
        if o not in ("--httpd", "--keep", "-v", "-h", "--help"):
            print("run.py: unknown option %s" % o, file=sys.stderr)
            return 2
    if "-h" in opts or "--help" in opts:
        print(__doc__)
        return 0
    verbose, keep, with_httpd = "-v" in opts, "--keep" in opts, "--httpd" in opts

    if not os.access(LINT, os.X_OK):
        print("FAIL  ocsp-lint not found or not executable: %s (set OCSP_LINT)" % LINT)
        print("0 passed, 1 failed")
        return 1
    if with_httpd and not os.access(HTTPD, os.X_OK):
        print("FAIL  --httpd: %s not found (set HTTPD)" % HTTPD)
        print("0 passed, 1 failed")
        return 1

    folders = sorted(p for p in RULES_DIR.iterdir() if p.is_dir() and FOLDER_RE.match(p.name))
    items = []          # (name, problems) in print order
    selected = []       # (folder, case path)
    if args:
        for a in args:
            p = Path(a)
            if not p.exists():
                p = RULES_DIR / a
            p = p.resolve()
            if p.is_dir():
                selected += [(p, c) for c in sorted(p.glob("*.conf"))]
            elif p.is_file():
                selected.append((p.parent, p))
            else:
                items.append(("argument %s" % a, ["no such folder or case"]))
    else:
        try:
            rules = list_rules()
        except RuntimeError as e:
            rules = []
            items.append(("meta --list-rules", [str(e)]))
        items += meta_checks(rules, folders)
        selected = [(f, c) for f in folders for c in sorted(f.glob("*.conf"))]

    work = Path(tempfile.mkdtemp(prefix="oa-rules-"))
    work.chmod(0o755)
    try:
        ocsp_port = free_port()
        pki = work / "pki"
        try:
            make_pki(pki, ocsp_port)
        except (OSError, subprocess.SubprocessError, RuntimeError) as e:
            items.append(("test PKI (tools/make-test-pki.sh)", [str(e)]))
            selected = []
        env = dict(os.environ, OA_TEST_PKI=str(pki), OA_TEST_RUN=str(work / "run"),
                   OA_TEST_PORT="8443", OA_TEST_OCSP_URL="http://127.0.0.1:%d/" % ocsp_port)
        (work / "run").mkdir()
        httpd = None
        if with_httpd:
            httpd = Httpd(work, env, pki, ocsp_port)

        for folder, path in selected:
            m = FOLDER_RE.match(folder.name)
            problems = []
            report = {}
            try:
                if not m:
                    raise CaseError("not in a folder named <ID>-<slug>")
                case = Case(path, m.group(1))
                report = lint_case(case, env)
                problems += check_case(case, report)
                if httpd:
                    problems += httpd.check(case, report)
            except CaseError as e:
                problems.append(str(e))
            except (OSError, subprocess.SubprocessError, RuntimeError) as e:
                problems.append("cannot run: %s" % e)
            items.append((rel(path), problems))
            if verbose:
                print_item(rel(path), problems)
                for f in report.get("findings", []):
                    print("        | " + finding_str(f))
                items[-1] = (rel(path), problems, True)
    finally:
        if keep:
            print("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)

    passed = failed = 0
    for item in items:
        name, problems = item[0], item[1]
        if len(item) < 3:
            print_item(name, problems)
        if problems:
            failed += 1
        else:
            passed += 1
    if args:
        print("(meta checks skipped: cases were selected on the command line)")
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def print_item(name, problems):
    print("%-5s %s" % ("FAIL" if problems else "ok", name))
    for p in problems:
        print("        " + p)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
