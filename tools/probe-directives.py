#!/usr/bin/env python3
"""probe-directives.py - where each directive is allowed and how many arguments it takes,
asked of the real httpd.

mod_info lists each module's directives but not their command_rec details (req_override,
args_how) nor the ap_check_cmd_context() checks their handlers make. So every directive
of core/oa_directives.inc is written, once per context, into a one-line include of a
config that loads every module, and `httpd -t` says what it thinks of it:

  1. with no arguments: "NAME not allowed here" is the req_override check (made first,
     in invoke_cmd); otherwise the arity message ("takes one argument, ...") gives
     args_how and the text httpd prints with it;
  2. with as many dummy arguments as the arity wants: the handler runs, and its
     context check ("cannot occur within <VirtualHost> section") is kept; anything
     else (a value the handler refuses) means the context is allowed.

Output: core/oa_directive_rules.inc, one OA_DIRECTIVE_RULE(name, arity, arity message,
message per context) line per directive.  Exec-on-read directives are left out: the
reader executes them itself.

Usage: tools/probe-directives.py [-o FILE|-] [-j JOBS]
Environment: HTTPD (default /usr/sbin/apache2), MODDIR (/usr/lib/apache2/modules),
MODS_AVAILABLE (/etc/apache2/mods-available).
"""
import argparse
import concurrent.futures as cf
import os
import re
import shutil
import subprocess
import sys
import tempfile

HTTPD = os.environ.get("HTTPD", "/usr/sbin/apache2")
MODDIR = os.environ.get("MODDIR", "/usr/lib/apache2/modules")
MODS_AVAILABLE = os.environ.get("MODS_AVAILABLE", "/etc/apache2/mods-available")
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# context id -> (opening line, closing line); the directive goes in between
CONTEXTS = [
    ("TOP", None, None),
    ("VHOST", "<VirtualHost 127.0.0.1:1>", "</VirtualHost>"),
    ("DIR", "<Directory /oa-probe>", "</Directory>"),
    ("LOC", "<Location /oa-probe>", "</Location>"),
    ("FILES", "<Files oa-probe>", "</Files>"),
    ("PROXY", "<Proxy http://oa-probe/>", "</Proxy>"),
    ("IF", "<If \"true\">", "</If>"),
    ("LIMIT", "<Directory /oa-probe>\n<Limit GET>", "</Limit>\n</Directory>"),
]

# The reader executes these while reading (EXEC_ON_READ) or tracks them as sections.
SKIP = {n.lower() for n in (
    "Include", "IncludeOptional", "Define", "UnDefine", "ServerRoot", "LoadModule",
    "<Macro", "Use", "UndefMacro", "<IfModule", "<IfDefine", "<IfVersion", "<IfFile",
    "<IfDirective", "<IfSection", "<Else", "<ElseIf")}

ARITY = [  # (args_how, message after the name, dummy arguments that satisfy it)
    ("NO_ARGS", "takes no arguments", ""),
    ("TAKE1", "takes one argument", "oa1"),
    ("TAKE2", "takes two arguments", "oa1 oa2"),
    ("TAKE12", "takes 1-2 arguments", "oa1"),
    ("TAKE3", "takes three arguments", "oa1 oa2 oa3"),
    ("TAKE23", "takes two or three arguments", "oa1 oa2"),
    ("TAKE123", "takes one, two or three arguments", "oa1"),
    ("TAKE13", "takes one or three arguments", "oa1"),
    ("ITERATE", "requires at least one argument", "oa1"),
    ("ITERATE2", "requires at least two arguments", "oa1 oa2"),
    ("FLAG", "must be On or Off", "On"),
]


def load_order():
    mods, deps = {}, {}
    for f in sorted(os.listdir(MODS_AVAILABLE)):
        if not f.endswith(".load") or f.startswith("mpm_"):
            continue
        short, sym, path, d = f[:-5], None, None, []
        with open(os.path.join(MODS_AVAILABLE, f)) as fh:
            for line in fh:
                w = line.split()
                if w[:2] == ["#", "Depends:"]:
                    d += w[2:]
                elif w and w[0] == "LoadModule":
                    sym, path = w[1], w[2]
        # only what is installed (another tool may leave a .load behind)
        if sym and os.path.exists(path if os.path.isabs(path) else os.path.join(MODDIR, os.path.basename(path))):
            mods[short], deps[short] = (sym, path), d
    order, seen = [], set()

    def visit(m):
        if m in seen or m not in mods:
            return
        seen.add(m)
        for d in deps[m]:
            visit(d)
        order.append(mods[m])
    for m in sorted(mods):
        visit(m)
    return order


def write_base(root, mpm, modules):
    for d in ("run", "logs"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for f in ("mime.types", "magic"):
        open(os.path.join(root, f), "w").close()
    lines = [f'ServerRoot "{root}"', f'DefaultRuntimeDir "{root}/run"',
             f'PidFile "{root}/run/httpd.pid"', f'ErrorLog "{root}/logs/error.log"',
             "ServerName probe.test", "Listen 127.0.0.1:1", f"Mutex file:{root}/run default",
             f"LoadModule mpm_{mpm}_module {MODDIR}/mod_mpm_{mpm}.so"]
    lines += [f"LoadModule {sym} {path}" for sym, path in modules]
    lines += [f'TypesConfig "{root}/mime.types"', f'MimeMagicFile "{root}/magic"']
    with open(os.path.join(root, "base.conf"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


def httpd_t(root, probe=None):
    cmd = [HTTPD, "-d", root, "-f", os.path.join(root, "base.conf"), "-t"]
    if probe:
        cmd += ["-c", "Include " + probe]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin", "LANG": "C", "LC_ALL": "C"})
    out = r.stdout + r.stderr
    if r.returncode == 0:
        return 0, None
    # process-time errors: "AH00526: Syntax error on line N of F:\nMSG"; read-time
    # (EXEC_ON_READ) errors in a -c include: "... directive: Syntax error on line N of F: MSG"
    m = re.search(r"Syntax error on line (\d+) of ([^:\n]*):(?:\n| )(.*)", out)
    if m and probe and m.group(2) != probe:
        # the base config itself failed (something changed under us): say so, stop
        raise RuntimeError(f"the base config failed: {m.group(2)}:{m.group(1)}: {m.group(3)}")
    if not m:
        return -1, out.strip().splitlines()[-1] if out.strip() else "?"
    return int(m.group(1)), m.group(3).strip()


def section_text(name, args):
    if name.startswith("<"):
        return f"{name} {args or '/oa-probe'}>\n</{name[1:]}>"
    return f"{name} {args}".rstrip()


def probe_one(root, name, ctx, args):
    _, open_, close = ctx
    body = section_text(name, args)
    text = body if not open_ else f"{open_}\n{body}\n{close}"
    path = os.path.join(root, "probe.conf")
    with open(path, "w") as fh:
        fh.write(text + "\n")
    line, msg = httpd_t(root, path)
    want = 1 if not open_ else open_.count("\n") + 2
    if line == 0:
        return None
    if line != want:
        return f"@{line} {msg}"   # an error elsewhere: the probe itself is wrong
    return msg


def probe_directive(root, name):
    res = {"name": name, "arity": "RAW", "arity_msg": "", "ctx": {}}
    zero = {}
    for ctx in CONTEXTS:
        zero[ctx[0]] = probe_one(root, name, ctx, "")
    if not name.startswith("<"):
        for msg in zero.values():
            if not msg:
                continue
            for how, text, _ in ARITY:
                if msg == f"{name} {text}" or msg.startswith(f"{name} {text}, "):
                    res["arity"], res["arity_msg"] = how, msg
                    break
            if res["arity"] != "RAW":
                break
    dummy = next((d for h, _, d in ARITY if h == res["arity"]), "oa1")
    for ctx in CONTEXTS:
        z = zero[ctx[0]]
        if z == f"{name} not allowed here" or (z and z.startswith("@")):
            res["ctx"][ctx[0]] = z
            continue
        res["ctx"][ctx[0]] = probe_one(root, name, ctx, dummy)
    # EXEC_ON_READ: its error comes before that of an unknown directive above it
    res["exec_on_read"] = 0
    if not name.startswith("<"):
        path = os.path.join(root, "probe.conf")
        with open(path, "w") as fh:
            fh.write(f"OaProbeNoSuchDirective\n{name}\n")
        line, _ = httpd_t(root, path)
        res["exec_on_read"] = int(line == 2)
    return res


def is_context_message(name, msg):
    if not msg or msg.startswith("@"):
        return False
    return bool(re.search(r"not allowed here|cannot occur within|not allowed in <|"
                          r"only used in|only valid in|only valid inside", msg))


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", default=os.path.join(TOP, "core", "oa_directive_rules.inc"))
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--raw", help="also write every probe's messages here (TSV)")
    a = ap.parse_args()

    names, mpm_of = [], {}
    with open(os.path.join(TOP, "core", "oa_directives.inc")) as fh:
        for line in fh:
            m = re.match(r'OA_DIRECTIVE\("([^"]+)", "([^"]+)"\)', line)
            if m and m.group(1).lower() not in SKIP:
                if m.group(1) not in mpm_of:
                    names.append(m.group(1))
                if m.group(2) in ("event.c", "worker.c", "prefork.c"):
                    mpm_of.setdefault(m.group(1), set()).add(m.group(2)[:-2])
                else:
                    mpm_of.setdefault(m.group(1), set())

    tmp = tempfile.mkdtemp(prefix="probe-directives.")
    try:
        modules = load_order()
        roots = []
        for j in range(a.j):
            for mpm in ("event", "prefork"):
                root = os.path.join(tmp, f"{mpm}{j}")
                write_base(root, mpm, modules)
                line, msg = httpd_t(root)
                if line != 0:
                    sys.exit(f"the base config fails ({mpm}): {msg}")
        jobs = []
        for i, n in enumerate(names):
            mpms = mpm_of[n]
            mpm = "prefork" if mpms and "event" not in mpms else "event"
            jobs.append((os.path.join(tmp, f"{mpm}{i % a.j}"), n))
        # one worker per root directory: the probe file is per root
        by_root = {}
        for root, n in jobs:
            by_root.setdefault(root, []).append(n)
        results = {}
        with cf.ThreadPoolExecutor(max_workers=len(by_root)) as ex:
            futs = [ex.submit(lambda r, ns: [probe_directive(r, n) for n in ns], r, ns)
                    for r, ns in by_root.items()]
            for f in futs:
                for res in f.result():
                    results[res["name"]] = res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if a.raw:
        with open(a.raw, "w") as fh:
            for n in names:
                r = results[n]
                for c, _, _ in CONTEXTS:
                    fh.write(f"{n}\t{r['arity']}\t{r['exec_on_read']}\t{c}\t"
                             f"{r['ctx'][c] or ''}\n")

    version = subprocess.run([HTTPD, "-v"], capture_output=True, text=True).stdout
    version = re.search(r"Server version: *(.*)", version).group(1)
    out = ["/* oa_directive_rules.inc - GENERATED FILE, DO NOT EDIT BY HAND.",
           " *",
           f" * Generated by tools/probe-directives.py from {version} ({HTTPD}),",
           " * every module of " + MODS_AVAILABLE + " loaded. Rerun to regenerate.",
           " *",
           " * OA_DIRECTIVE_RULE(name, args_how, exec on read (1: httpd runs it while",
           " * reading, so its errors come first), arity message, then per context the",
           " * message httpd gives for the directive there, NULL when it is allowed):",
           " * contexts " + ", ".join(c for c, _, _ in CONTEXTS) + ".",
           " * args_how RAW means httpd's table does not count the arguments (RAW_ARGS,",
           " * TAKE_ARGV) or the probe could not tell.",
           " */"]
    for n in sorted(names, key=str.lower):
        r = results[n]
        msgs = []
        for c, _, _ in CONTEXTS:
            m = r["ctx"][c]
            msgs.append(c_string(m) if is_context_message(n, m) else "NULL")
        out.append(f"OA_DIRECTIVE_RULE({c_string(n)}, OA_ARGS_{r['arity']}, {r['exec_on_read']}, "
                   f"{c_string(r['arity_msg']) if r['arity_msg'] else 'NULL'}, "
                   + ", ".join(msgs) + ")")
    text = "\n".join(out) + "\n"
    if a.o == "-":
        sys.stdout.write(text)
    else:
        with open(a.o + ".tmp", "w") as fh:
            fh.write(text)
        os.replace(a.o + ".tmp", a.o)
        print(f"probe-directives: {len(names)} directives written to {a.o}", file=sys.stderr)


if __name__ == "__main__":
    main()
