"""Helpers for the integration tests: run Apache httpd (Debian's apache2) and ocsp-lint.

Everything here works without root where httpd allows it. Nothing listens anywhere but
127.0.0.1: the trees only Listen there, and HttpdInstance stops an httpd that listens
anywhere else (and raises).

Environment:
  HTTPD       the httpd binary (default /usr/sbin/apache2)
  APXS        apxs, asked for LIBEXECDIR (the module directory); default: apxs on PATH,
              else /usr/lib/apache2/modules
  OCSP_LINT   the linter (default /work/build/lint/ocsp-lint)
"""

import atexit
import contextlib
import functools
import grp
import ipaddress
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import schemas

HERE = Path(__file__).resolve().parent
TREES_DIR = HERE / "trees"

DEFAULT_HTTPD = "/usr/sbin/apache2"
DEFAULT_MODULE_DIR = "/usr/lib/apache2/modules"
DEFAULT_OCSP_LINT = "/work/build/lint/ocsp-lint"
DEBIAN_CONFDIR = "/etc/apache2"

# The Debian env vars apache2ctl takes from /etc/apache2/envvars.
DEBIAN_ENV_VARS = ("APACHE_RUN_USER", "APACHE_RUN_GROUP", "APACHE_PID_FILE",
                   "APACHE_RUN_DIR", "APACHE_LOCK_DIR", "APACHE_LOG_DIR")


class HarnessError(Exception):
    """httpd or the linter did something the harness cannot work with."""


# --------------------------------------------------------------------------- locations

def httpd_binary():
    return os.environ.get("HTTPD") or DEFAULT_HTTPD


def lint_binary():
    return os.environ.get("OCSP_LINT") or DEFAULT_OCSP_LINT


@functools.lru_cache(maxsize=None)
def module_dir():
    """httpd's module directory: `$APXS -q LIBEXECDIR`, else /usr/lib/apache2/modules.

    An APXS given in the environment must work; apxs found on PATH is only a hint.
    """
    explicit = os.environ.get("APXS")
    apxs = explicit or shutil.which("apxs") or shutil.which("apxs2")
    if apxs:
        try:
            out = subprocess.run([apxs, "-q", "LIBEXECDIR"], capture_output=True,
                                 text=True, timeout=60, env=minimal_env())
            d = out.stdout.strip()
            if out.returncode == 0 and d and os.path.isdir(d):
                return d
            problem = f"`{apxs} -q LIBEXECDIR` gave {d!r} (exit {out.returncode}): {out.stderr.strip()}"
        except OSError as e:
            problem = f"cannot run {apxs}: {e}"
        if explicit:
            raise HarnessError(problem)
    return DEFAULT_MODULE_DIR


# --------------------------------------------------------------------------- ports

_ports_handed_out = set()


def free_port(host="127.0.0.1"):
    """A TCP port on host that nothing listens on now (and not handed out before)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in _ports_handed_out:
            _ports_handed_out.add(port)
            return port
    raise HarnessError("no free port found")


def port_is_open(port, host="127.0.0.1", timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------- environment

def minimal_env(extra=None):
    """A small, predictable environment (no HOME, no locale surprises)."""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "LANG": "C", "LC_ALL": "C"}
    if extra:
        env.update({k: str(v) for k, v in extra.items()})
    return env


def run_user_group():
    """User/Group for configs that need them: who we are, or www-data (nobody) as root."""
    if os.geteuid() != 0:
        return (pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name)
    for user, group in (("www-data", "www-data"), ("nobody", "nogroup"), ("nobody", "nobody")):
        try:
            pwd.getpwnam(user)
            grp.getgrnam(group)
            return user, group
        except KeyError:
            continue
    raise HarnessError("no unprivileged user (www-data, nobody) to run httpd's children as")


def debian_env(base):
    """The APACHE_* variables of Debian's envvars, with every directory below base."""
    base = Path(base)
    user, group = run_user_group()
    dirs = {"APACHE_RUN_DIR": base / "run", "APACHE_LOCK_DIR": base / "lock",
            "APACHE_LOG_DIR": base / "log"}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    env = {k: str(v) for k, v in dirs.items()}
    env.update(APACHE_RUN_USER=user, APACHE_RUN_GROUP=group,
               APACHE_PID_FILE=str(base / "run" / "apache2.pid"))
    return env


# --------------------------------------------------------------------------- httpd command lines

def httpd_args(root, conf, defines=(), extra=()):
    args = ["-d", str(root), "-f", str(conf)]
    for d in defines:
        args += ["-D", d]
    return args + list(extra)


def httpd_env(env=None):
    """The environment of an httpd the suite runs: minimal_env(env), and with
    OA_HTTPD_PRELOAD set (the sanitizer stage of tools/test.sh: the ASan runtime, for
    OA_MODULE built with --enable-sanitizers) LD_PRELOAD and ASAN_OPTIONS for httpd only."""
    e = minimal_env(env)
    if os.environ.get("OA_HTTPD_PRELOAD"):
        e["LD_PRELOAD"] = os.environ["OA_HTTPD_PRELOAD"]
        e["ASAN_OPTIONS"] = os.environ.get("OA_HTTPD_ASAN_OPTIONS", "detect_leaks=0")
    return e


def run_httpd(args, env=None, timeout=120):
    """Run httpd with args and a minimal environment (env adds to it)."""
    return subprocess.run([httpd_binary()] + [str(a) for a in args], capture_output=True,
                          text=True, env=httpd_env(env), timeout=timeout,
                          stdin=subprocess.DEVNULL)


def httpd_check(root, conf, defines=(), env=None):
    """`httpd -t`: returns the CompletedProcess (stderr holds "Syntax OK" or the error)."""
    return run_httpd(httpd_args(root, conf, defines, ["-t"]), env)


def assert_httpd_syntax_ok(root, conf, defines=(), env=None):
    r = httpd_check(root, conf, defines, env)
    out = r.stdout + r.stderr
    if r.returncode != 0 or "Syntax OK" not in out:
        raise AssertionError(f"httpd -t rejects {conf} (exit {r.returncode}):\n{out}")
    return out


def httpd_dump(root, conf, defines=(), env=None):
    """`httpd -S` output (stdout); raises HarnessError when httpd fails."""
    r = run_httpd(httpd_args(root, conf, defines, ["-S"]), env)
    if r.returncode != 0:
        raise HarnessError(f"httpd -S failed (exit {r.returncode}):\n{r.stdout}{r.stderr}")
    return r.stdout


def httpd_vhosts(root, conf, defines=(), env=None):
    """The vhosts of `httpd -S`, parsed by parse_dump_vhosts()."""
    return parse_dump_vhosts(httpd_dump(root, conf, defines, env))


def httpd_inventory(root, conf, defines=(), env=None):
    """`httpd -S` parsed: {"vhosts": parse_dump_vhosts(), "server_root", "defines", "text"}."""
    text = httpd_dump(root, conf, defines, env)
    return {"vhosts": parse_dump_vhosts(text), "server_root": parse_dump_server_root(text),
            "defines": parse_dump_defines(text), "text": text}


def parse_dump_server_root(text):
    """ServerRoot from `httpd -S` output ('ServerRoot: "/etc/apache2"'), or None."""
    m = re.search(r'^ServerRoot: "(.*)"$', text, re.M)
    return m.group(1) if m else None


def parse_dump_defines(text):
    """{NAME: VALUE or None} from the "Define: NAME[=VALUE]" lines of `httpd -S` (which
    include httpd's own DUMP_VHOSTS and DUMP_RUN_CFG)."""
    out = {}
    for m in re.finditer(r"^Define: ([^=\n]+)(?:=(.*))?$", text, re.M):
        out[m.group(1)] = m.group(2)
    return out


# --------------------------------------------------------------------------- -S parsing
#
# ap_dump_vhosts() (server/vhost.c) prints, per address, either
#   "%-22s %s (%s:%u)"                          ADDR NAME (FILE:LINE)     one vhost
# or
#   "%-22s is a NameVirtualHost"                ADDR
#   "%8s default server %s (%s:%u)"             the first vhost of ADDR
#   "%8s port %u namevhost %s (%s:%u)"          every vhost of ADDR, the first again
#   "%16s alias %s" / "%16s wild alias %s"      its ServerAlias names
# ADDR is "*:PORT" for wildcard addresses, "IP:PORT" / "[IPv6]:PORT" otherwise, with
# "*" for the port when none was given. Aliases are only printed in the second form.
# For a vhost made by mod_macro FILE is the macro's where-string (see parse_macro_where)
# and LINE the line within the macro body.

_RE_SINGLE = re.compile(r"^(\S+)\s+(\S+) \((.*):(\d+)\)$")
_RE_NAMEVHOST = re.compile(r"^(\S+)\s+is a NameVirtualHost$")
_RE_DEFAULT = re.compile(r"^\s+default server (\S+) \((.*):(\d+)\)$")
_RE_PORT = re.compile(r"^\s+port (\S+) namevhost (\S+) \((.*):(\d+)\)$")
_RE_ALIAS = re.compile(r"^\s+(wild )?alias (.*)$")


def parse_dump_vhosts(text):
    """Parse `httpd -S` output into one dict per vhost (server_rec), in order of appearance:

      name        httpd's server_hostname (inherited or DNS-derived when no ServerName)
      addresses   normalized addresses it is listed under (normalize_address)
      aliases     ServerAlias names (plain, then wild), or None when httpd did not print
                  them (a vhost listed only under addresses it has alone)
      file, line  where the <VirtualHost> is; for a macro-made vhost: the outermost Use
      where, where_line  httpd's raw (file, line)
      macro       None, or {"name", "file", "line"}: the macro whose body holds the
                  <VirtualHost> (httpd's lower-cased name) and where it was defined
      macro_chain [{"name", "defined": (file, line), "used_file", "used_line"}], innermost
                  first; used_file is None when the Use is itself in a macro body
    """
    lines = text.splitlines()
    try:
        start = lines.index("VirtualHost configuration:") + 1
    except ValueError:
        raise HarnessError("no 'VirtualHost configuration:' in httpd -S output:\n" + text)

    vhosts = {}      # (where, where_line, occurrence) -> record
    order = []

    def record(where, line, name, addr, seen):
        base = (where, int(line))
        n = seen.get(base, 0)
        seen[base] = n + 1
        key = base + (n,)
        v = vhosts.get(key)
        if v is None:
            v = {"name": name, "addresses": [], "aliases": None, "where": where,
                 "where_line": int(line)}
            v.update(resolve_where(where, int(line)))
            vhosts[key] = v
            order.append(key)
        elif v["name"] != name:
            raise HarnessError(f"vhost at {where}:{line} listed as {v['name']!r} and {name!r}")
        if addr not in v["addresses"]:
            v["addresses"].append(addr)
        return v

    current = None   # the vhost the alias lines belong to
    group = None     # address of the current NameVirtualHost group
    seen = {}
    for ln in lines[start:]:
        m = _RE_NAMEVHOST.match(ln)
        if m:
            group, current, seen = normalize_address(m.group(1)), None, {}
            continue
        m = _RE_DEFAULT.match(ln)
        if m and group is not None:
            current = None   # the same vhost follows as the first "port N namevhost"
            continue
        m = _RE_PORT.match(ln)
        if m and group is not None:
            current = record(m.group(3), m.group(4), m.group(2), group, seen)
            if current["aliases"] is None:
                current["aliases"] = []
                current["_alias_group"] = group
            continue
        m = _RE_ALIAS.match(ln)
        if m and current is not None:
            if current.get("_alias_group") == group:
                current["aliases"].append(m.group(2))
            continue
        m = _RE_SINGLE.match(ln)
        if m:
            group, current = None, None
            record(m.group(3), m.group(4), m.group(2), normalize_address(m.group(1)), {})
            continue
        break   # "ServerRoot: ..." and the rest of the -S output
    result = []
    for k in order:
        v = vhosts[k]
        v.pop("_alias_group", None)
        result.append(v)
    return result


def _expect(s, i, lit):
    if not s.startswith(lit, i):
        raise HarnessError(f"macro where-string: expected {lit!r} at {i} in {s!r}")
    return i + len(lit)


def _parse_int(s, i):
    j = i
    while j < len(s) and s[j].isdigit():
        j += 1
    if j == i:
        raise HarnessError(f"macro where-string: expected a number at {i} in {s!r}")
    return int(s[i:j]), j


def _parse_quoted_place(s, i):
    """'"FILE"' or '"macro ..."' (a nested where-string, quotes not escaped)."""
    i = _expect(s, i, '"')
    if s.startswith("macro '", i):
        node, i = _parse_where(s, i)
    else:
        j = s.index('"', i)
        node, i = s[i:j], j
    return node, _expect(s, i, '"')


def _parse_where(s, i):
    # mod_macro: macro '%s' (defined on line %d of "%s") used on line %d of "%s"
    i = _expect(s, i, "macro '")
    j = s.index("' (defined on line ", i)
    name, i = s[i:j], j + len("' (defined on line ")
    dline, i = _parse_int(s, i)
    i = _expect(s, i, " of ")
    dfile, i = _parse_quoted_place(s, i)
    i = _expect(s, i, ") used on line ")
    uline, i = _parse_int(s, i)
    i = _expect(s, i, " of ")
    ufile, i = _parse_quoted_place(s, i)
    return {"name": name, "defined": (dfile, dline), "used": (ufile, uline)}, i


def parse_macro_where(s):
    """Parse mod_macro's where-string (the config "file name" of lines made by a macro).

    'macro 'vh' (defined on line 3 of "/f.conf") used on line 10 of "/g.conf"' gives
    {"name": "vh", "defined": ("/f.conf", 3), "used": ("/g.conf", 10)}; a file that is
    itself a where-string (a Use inside a macro body) is parsed into such a dict too.
    """
    node, i = _parse_where(s, 0)
    if i != len(s):
        raise HarnessError(f"macro where-string: trailing text at {i} in {s!r}")
    return node


def _outermost(place):
    """(file, line) where file may be a parsed where-dict: follow "used" to a real file."""
    f, line = place
    while isinstance(f, dict):
        f, line = f["used"]
    return f, line


def resolve_where(where, line):
    """httpd's (file, line) of a vhost -> {"file", "line", "macro", "macro_chain"}."""
    if not where.startswith("macro '"):
        return {"file": where, "line": line, "macro": None, "macro_chain": []}
    node = parse_macro_where(where)
    chain = []
    n = node
    while isinstance(n, dict):
        ufile, uline = n["used"]
        chain.append({"name": n["name"], "defined": _outermost(n["defined"]),
                      "used_file": ufile if isinstance(ufile, str) else None,
                      "used_line": uline})
        n = ufile
    f, ln = _outermost(node["used"])
    dfile, dline = _outermost(node["defined"])
    return {"file": f, "line": ln,
            "macro": {"name": node["name"], "file": dfile, "line": dline},
            "macro_chain": chain}


def parse_httpd_syntax_error(text):
    """Where httpd says a config is broken: (file, line, message) of the innermost
    "Syntax error on line N of FILE:" in its stderr, FILE resolved like a vhost's (a macro
    where-string becomes the outermost Use). None when there is no such message (e.g. a
    failing main config: "Could not open configuration file").
    """
    marker = "Syntax error on line "
    i = text.rfind(marker)
    if i < 0:
        return None
    i += len(marker)
    line, i = _parse_int(text, i)
    i = _expect(text, i, " of ")
    if text.startswith("macro '", i):
        node, i = _parse_where(text, i)
        file, line = _outermost((node, line))
    else:
        j = text.find(":\n", i)
        k = text.find(": ", i)
        ends = [e for e in (j, k) if e >= 0]
        if not ends:
            return None
        end = min(ends)
        file = text[i:end]
        i = end
    i = _expect(text, i, ":")
    return file, line, text[i:].strip()


_RE_LINT_ERROR = re.compile(r"^(.*):(\d+): error: (.*)$", re.M)


def parse_lint_error(stderr):
    """(file, line, message) from ocsp-lint's "FILE:LINE: error: ..." on stderr, or None.
    The text output escapes control characters, so a message that spans lines (as httpd
    prints it) is one line with \\n: the message is its first line, as for httpd's."""
    m = _RE_LINT_ERROR.search(stderr)
    if not m:
        return None
    return (m.group(1), int(m.group(2)), m.group(3).split("\\n")[0])


# --------------------------------------------------------------------------- addresses

def normalize_address(addr):
    """An address as `httpd -S` prints it: "*:443", "127.0.0.1:8443", "[::1]:443", "10.0.0.1:*".

    "_default_", "0.0.0.0" and "::" are "*"; a missing port or port 0 is "*". Host names
    are lower-cased but not resolved (httpd would print the addresses they resolve to).
    """
    a = addr.strip().lower()
    host, port = a, None
    if a.startswith("["):
        end = a.find("]")
        if end < 0:
            return a
        host, rest = a[1:end], a[end + 1:]
        if rest.startswith(":"):
            port = rest[1:]
    elif a.count(":") == 1:
        host, port = a.split(":")
    if port in (None, "", "0"):
        port = "*"
    if host in ("*", "_default_", "0.0.0.0", "::"):
        return f"*:{port}"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return f"{host}:{port}"
    if ip.version == 6:
        return f"[{ip.compressed}]:{port}"
    return f"{ip}:{port}"


# --------------------------------------------------------------------------- trees

TOKENS = ("ROOT", "MODULES", "PORT1", "PORT2", "PORT3", "CERT", "KEY")


class Tree:
    """A rendered config tree: root (ServerRoot), conf (main file), ports, env, defines."""

    def __init__(self, name, root, conf, ports=None, env=None, defines=(), envvars=None):
        self.name = name
        self.root = Path(root)
        self.conf = Path(conf)
        self.ports = dict(ports or {})
        self.env = dict(env or {})
        self.defines = tuple(defines)
        self.envvars = envvars     # for ocsp-lint: a path, or None for --no-envvars

    def __repr__(self):
        return f"Tree({self.name!r}, {str(self.conf)!r}, defines={self.defines!r})"


def render_tree(name, dest, ports, cert="", key="", src_dir=TREES_DIR):
    """Copy trees/<name> to dest/<name>, replacing @@TOKEN@@ in every file in place.

    ports: {"PORT1": n, ...}. Also creates run/, logs/ and htdocs/ in the copy.
    Returns a Tree whose conf is <copy>/main.conf and whose ports are those it names.
    """
    src = Path(src_dir) / name
    if not src.is_dir():
        raise HarnessError(f"no tree {src}")
    root = Path(dest) / name
    shutil.copytree(src, root, symlinks=True)
    values = {"ROOT": str(root), "MODULES": module_dir(), "CERT": str(cert), "KEY": str(key)}
    values.update({k: str(v) for k, v in ports.items()})
    used = set()
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if b"@@" not in data:
            continue
        for k, v in values.items():
            token = f"@@{k}@@".encode()
            if token in data:
                used.add(k)
                data = data.replace(token, v.encode())
        left = re.findall(rb"@@[A-Z0-9_]+@@", data)
        if left:
            raise HarnessError(f"{path}: no value for {sorted(set(left))}")
        path.write_bytes(data)
    for d in ("run", "logs", "htdocs"):
        (root / d).mkdir(exist_ok=True)
    widen_modes(root)
    # the ports the tree uses (and listens on: every tree Listens on each port it names)
    return Tree(name, root, root / "main.conf", {k: v for k, v in ports.items() if k in used})


def make_debian_copy(dest, ports, src=DEBIAN_CONFDIR, enable_mods=("ssl", "socache_shmcb"),
                     enable_sites=("default-ssl",), cert=None, key=None):
    """Copy Debian's /etc/apache2 to dest/apache2, enable modules and sites there (symlinks
    into the copy, as a2enmod/a2ensite make them), and move Listen 80/443 (and the
    *:80/*:443 vhosts) to 127.0.0.1:ports["http"] / ports["https"]. When cert/key are
    given the snakeoil paths are replaced by them. Line numbers do not change.
    Returns a Tree with the Debian env vars (directories below dest) in env.
    """
    src = Path(src)
    root = Path(dest) / "apache2"
    shutil.copytree(src, root, symlinks=True)
    # Absolute links into the original point into the copy instead.
    for p in root.rglob("*"):
        if p.is_symlink():
            target = os.readlink(p)
            if os.path.isabs(target) and (target + "/").startswith(str(src) + "/"):
                p.unlink()
                p.symlink_to(str(root) + target[len(str(src)):])

    def enable(kind, name, exts):
        for ext in exts:
            avail = root / f"{kind}-available" / f"{name}{ext}"
            link = root / f"{kind}-enabled" / f"{name}{ext}"
            if avail.exists() and not link.exists():
                link.symlink_to(f"../{kind}-available/{name}{ext}")

    for m in enable_mods:
        enable("mods", m, (".load", ".conf"))
    for s in enable_sites:
        enable("sites", s, (".conf",))

    port_map = {"80": str(ports["http"]), "443": str(ports["https"])}
    for p in sorted(root.rglob("*.conf")):
        if p.is_symlink():
            continue
        text = p.read_text()
        new = re.sub(r"(?mi)^(\s*Listen\s+)(80|443)\b",
                     lambda m: f"{m.group(1)}127.0.0.1:{port_map[m.group(2)]}", text)
        new = re.sub(r"(?i)(<VirtualHost\s+\*:)(80|443)>",
                     lambda m: f"{m.group(1)}{port_map[m.group(2)]}>", new)
        if cert and key:
            new = new.replace("/etc/ssl/certs/ssl-cert-snakeoil.pem", str(cert))
            new = new.replace("/etc/ssl/private/ssl-cert-snakeoil.key", str(key))
        if new != text:
            p.write_text(new)
    env = debian_env(Path(dest) / "var")
    return Tree("debian", root, root / "apache2.conf", ports, env=env,
                envvars=root / "envvars")


# --------------------------------------------------------------------------- ocsp-lint

class LintResult(tuple):
    """(returncode, data, stderr); data is the parsed JSON or None. Also .stdout, .args."""

    def __new__(cls, returncode, data, stderr, stdout="", args=()):
        obj = super().__new__(cls, (returncode, data, stderr))
        obj.stdout = stdout
        obj.args = list(args)
        return obj

    returncode = property(lambda self: self[0])
    data = property(lambda self: self[1])
    stderr = property(lambda self: self[2])


def run_lint(args, env=None, cwd=None, timeout=120):
    """Run ocsp-lint with args; returns LintResult (exit code, parsed JSON or None, stderr)."""
    cmd = [lint_binary()] + [str(a) for a in args]
    r = subprocess.run(cmd, capture_output=True, text=True, env=minimal_env(env), cwd=cwd,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    data = None
    if r.stdout.strip():
        try:
            data = json.loads(r.stdout)
        except ValueError:
            data = None
    schemas.check(args, r.stdout)
    return LintResult(r.returncode, data, r.stderr, r.stdout, cmd)


def lint_vhosts_args(tree, config_last=True):
    """ocsp-lint's arguments for the inventory of tree. The config path comes last unless
    config_last is False (then as in the synopsis: -d ROOT CONFIG -D ... --envvars ...)."""
    opts = []
    for d in tree.defines:
        opts += ["-D", d]
    opts += ["--envvars", tree.envvars] if tree.envvars else ["--no-envvars"]
    head = ["--vhosts", "--format", "json", "-d", tree.root]
    if config_last:
        return head + opts + [tree.conf]
    return head + [tree.conf] + opts


def lint_vhosts(tree):
    """ocsp-lint --vhosts for a Tree; the JSON document (fails unless exit 0 or 1)."""
    r = run_lint(lint_vhosts_args(tree), env=tree.env)
    if r.returncode not in (0, 1) or not isinstance(r.data, dict):
        raise AssertionError(
            f"ocsp-lint failed (exit {r.returncode}): {' '.join(map(str, r.args))}\n"
            f"stderr:\n{r.stderr}\nstdout:\n{r.stdout[:4000]}")
    return r.data


# --------------------------------------------------------------------------- comparison

def _lint_records(doc):
    vhosts = doc.get("vhosts") or []
    main = next((v for v in vhosts if v.get("main_server")), None)
    main_named = bool(main and main.get("name_source") == "ServerName")
    out = []
    for v in vhosts:
        if v.get("main_server"):
            continue
        out.append({
            "name": v.get("name"),
            "name_source": v.get("name_source"),
            # as httpd -S shows them (names resolved), where ocsp-lint says so
            "addresses": sorted({normalize_address(a) for a in
                                 (v.get("addresses_resolved", v.get("addresses")) or [])}),
            "aliases": sorted(v.get("aliases") or []),
            "file": v.get("file"),
            "line": v.get("line"),
            "macro": v.get("macro"),
            "main_name": main.get("name") if main_named else None,
        })
    return out


def _httpd_records(vhosts):
    return [dict(v, addresses=sorted(set(v["addresses"])),
                 aliases=None if v["aliases"] is None else sorted(v["aliases"]))
            for v in vhosts]


def _fmt(v):
    s = f"{v.get('name')} {','.join(v.get('addresses') or [])}"
    if v.get("aliases"):
        s += f" aliases={','.join(v['aliases'])}"
    return s


INVENTORY_ASPECTS = frozenset({"addresses", "name", "aliases"})
ALL_ASPECTS = INVENTORY_ASPECTS | {"macro"}


def _compare_pair(h, l, where, aspects):
    problems = []
    if "addresses" in aspects and h["addresses"] != l["addresses"]:
        problems.append(f"{where}: addresses: httpd {h['addresses']} vs ocsp-lint {l['addresses']}"
                        f" ({h['name']})")
    wildcard = any(a.startswith("*:") for a in h["addresses"])
    if "name" not in aspects:
        pass
    elif l["name_source"] in ("ServerName", "address") or (l["name_source"] == "main"
                                                           and l["main_name"] and wildcard):
        if h["name"] != l["name"]:
            problems.append(f"{where}: name: httpd {h['name']!r} vs ocsp-lint {l['name']!r}"
                            f" (name_source {l['name_source']})")
    elif l["main_name"] and wildcard and h["name"] != l["main_name"]:
        # httpd shows a name the vhost did not inherit: it has a ServerName we missed.
        problems.append(f"{where}: name: httpd {h['name']!r} (its own ServerName?) vs ocsp-lint"
                        f" {l['name']!r} (name_source {l['name_source']})")
    if "aliases" in aspects and h["aliases"] is not None and h["aliases"] != l["aliases"]:
        problems.append(f"{where}: aliases: httpd {h['aliases']} vs ocsp-lint {l['aliases']}"
                        f" ({h['name']})")
    hm, lm = h.get("macro"), l.get("macro")
    if "macro" not in aspects:
        pass
    elif hm and not lm:
        problems.append(f"{where}: httpd made {h['name']} from macro {hm['name']!r}"
                        f" ({hm['file']}:{hm['line']}), ocsp-lint has no \"macro\"")
    elif lm and not hm:
        problems.append(f"{where}: ocsp-lint says {l['name']} comes from macro {lm}, httpd not")
    elif hm and lm:
        if (str(lm.get("name", "")).lower() != hm["name"].lower() or lm.get("file") != hm["file"]
                or lm.get("line") != hm["line"]):
            problems.append(f"{where}: macro: httpd {hm['name']!r} defined at "
                            f"{hm['file']}:{hm['line']} (its <Macro> line) vs ocsp-lint {lm}")
    return problems


def compare_inventories(httpd_vhost_list, lint_doc, aspects=INVENTORY_ASPECTS):
    """Every difference between `httpd -S` vhosts and ocsp-lint's vhosts, as strings.

    Vhosts are matched by file:line (for macro vhosts the outermost Use); several vhosts at
    one place (one Use, two vhosts) are paired by name and addresses. A vhost on one side
    only is always reported; of matched pairs these aspects are compared:
      "addresses"  normalized (normalize_address), as sets
      "name"       when the linter says it comes from a ServerName, or is the main server's
                   ServerName inherited on a wildcard address
      "aliases"    when httpd printed them (name-based addresses only), as sorted lists
      "macro"      for macro-made vhosts: the name of the macro whose body holds the
                   <VirtualHost> (case-insensitive) and the file:line of its <Macro> line
                   (for a macro defined inside a macro body: the outermost Use making it)
    """
    problems = []
    doc_vhosts = lint_doc.get("vhosts")
    if not isinstance(doc_vhosts, list) or not doc_vhosts:
        return ["ocsp-lint: no \"vhosts\" list"]
    if not doc_vhosts[0].get("main_server") or doc_vhosts[0].get("addresses"):
        problems.append(f"ocsp-lint: vhosts[0] is not the main server: {doc_vhosts[0]}")
    if sum(1 for v in doc_vhosts if v.get("main_server")) != 1:
        problems.append("ocsp-lint: not exactly one main_server entry")

    hs, ls = {}, {}
    for v in _httpd_records(httpd_vhost_list):
        hs.setdefault((v["file"], v["line"]), []).append(v)
    for v in _lint_records(lint_doc):
        ls.setdefault((v["file"], v["line"]), []).append(v)

    def sort_key(k):
        return (str(k[0]), k[1] if isinstance(k[1], int) else -1)

    for key in sorted(set(hs) | set(ls), key=sort_key):
        where = f"{key[0]}:{key[1]}"
        hl, ll = list(hs.get(key, [])), list(ls.get(key, []))
        # pair exact (name, addresses) matches first, then the rest in order
        pairs = []
        for h in list(hl):
            for l in ll:
                if h["name"] == l["name"] and h["addresses"] == l["addresses"]:
                    pairs.append((h, l))
                    hl.remove(h)
                    ll.remove(l)
                    break
        while hl and ll:
            pairs.append((hl.pop(0), ll.pop(0)))
        for h, l in pairs:
            problems += _compare_pair(h, l, where, aspects)
        for h in hl:
            problems.append(f"{where}: httpd has vhost {_fmt(h)}"
                            + (f" (macro {h['macro']['name']})" if h.get("macro") else "")
                            + ", ocsp-lint has none here")
        for l in ll:
            problems.append(f"{where}: ocsp-lint has vhost {_fmt(l)}, httpd has none here")
    return problems


def format_inventories(httpd_vhost_list, lint_doc):
    """Both inventories side by side, for assertion messages."""
    out = ["httpd -S:"]
    for v in httpd_vhost_list:
        out.append(f"  {v['file']}:{v['line']}  {_fmt(v)}"
                   + (f"  macro={v['macro']['name']}" if v.get("macro") else ""))
    out.append("ocsp-lint:")
    for v in lint_doc.get("vhosts") or []:
        out.append(f"  {v.get('file')}:{v.get('line')}  {v.get('name')} ({v.get('name_source')})"
                   f" {','.join(v.get('addresses') or [])}"
                   + (f" aliases={','.join(v.get('aliases') or [])}" if v.get("aliases") else "")
                   + (" [main]" if v.get("main_server") else "")
                   + (f" macro={v.get('macro')}" if v.get("macro") else ""))
    return "\n".join(out)


# --------------------------------------------------------------------------- running httpd

def _proc_stat(pid):
    """(state, pgrp) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    return rest[0], int(rest[2])


def live_group_members(pgid):
    """PIDs of the process group that are not zombies."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = _proc_stat(int(d))
        if st and st[1] == pgid and st[0] not in ("Z", "X"):
            pids.append(int(d))
    return pids


def _hex_addr(h):
    ip_hex, port_hex = h.split(":")
    raw = bytes.fromhex(ip_hex)
    # /proc/net/tcp{,6} print the address as host-order 32-bit words
    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(raw)), int(port_hex, 16)


def listening_addresses(pid):
    """[(ip, port)] of the TCP sockets process pid listens on (from /proc)."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            next(f)
            for row in f:
                cols = row.split()
                if len(cols) > 9 and cols[3] == "0A" and cols[9] in inodes:
                    found.append(_hex_addr(cols[1]))
    return sorted(found)


def signal_group(pgid, sig):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_process_group(proc, timeout, what=None, pgid=None):
    """Stop the process group proc leads (started with start_new_session; pgid: another
    group): SIGTERM, SIGKILL when proc has not exited after timeout seconds, then wait
    until no member of the group is left. Members still there after another timeout s:
    with what None give up quietly; else SIGKILL them again and raise HarnessError
    ("WHAT processes left") when they outlive 5 s more."""
    pgid = proc.pid if pgid is None else pgid
    if proc.poll() is None:
        signal_group(pgid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            signal_group(pgid, signal.SIGKILL)
            proc.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while live_group_members(pgid):
        if time.monotonic() > deadline:
            if what is None:
                return
            signal_group(pgid, signal.SIGKILL)
            time.sleep(0.2)
            if time.monotonic() > deadline + 5:
                raise HarnessError(f"{what} processes left: {live_group_members(pgid)}")
        time.sleep(0.05)


def widen_modes(root):
    """As root (httpd's children run as www-data): let them see the tree below root
    (directories |0755, files |0644; symbolic links are left alone)."""
    if os.geteuid() != 0:
        return
    root = Path(root)
    for p in [root] + [p for p in root.rglob("*") if not p.is_symlink()]:
        p.chmod(p.stat().st_mode | (0o755 if p.is_dir() else 0o644))


_running = []   # HttpdInstances started and not yet stopped (stop_all() is the safety net)


class HttpdStartError(HarnessError):
    pass


class HttpdInstance:
    """apache2 -DFOREGROUND in a process group of its own, on 127.0.0.1 ports.

        with HttpdInstance(tree.root, tree.conf, workdir, ports=[p1, p2]) as h:
            ... h.error_log_text() ...

    PidFile and ErrorLog (of the main server) are forced into workdir with -c; as root,
    User/Group are set to an unprivileged user. Leaving the block (also by an exception)
    stops the whole process group: SIGTERM, then SIGKILL, and waits until none is left.
    """

    def __init__(self, root, conf, workdir, ports, defines=(), env=None, extra_directives=(),
                 start_timeout=30.0, stop_timeout=15.0):
        self.root, self.conf = Path(root), Path(conf)
        self.workdir = Path(workdir)
        self.ports = [int(p) for p in ports]
        self.defines = tuple(defines)
        self.env = dict(env or {})
        self.extra_directives = list(extra_directives)
        self.start_timeout, self.stop_timeout = start_timeout, stop_timeout
        self.pid_file = self.workdir / "httpd.pid"
        self.error_log = self.workdir / "error.log"
        self.stdout_file = self.workdir / "httpd.stdout"
        self.stderr_file = self.workdir / "httpd.stderr"
        self.proc = None
        self.pgid = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def command(self):
        directives = [f'PidFile "{self.pid_file}"', f'ErrorLog "{self.error_log}"']
        if os.geteuid() == 0:
            user, group = run_user_group()
            directives += [f"User {user}", f"Group {group}"]
        directives += self.extra_directives
        extra = ["-DFOREGROUND"]
        for d in directives:
            extra += ["-c", d]
        return [httpd_binary()] + httpd_args(self.root, self.conf, self.defines, extra)

    def start(self):
        if self.proc:
            raise HarnessError("already started")
        if not self.ports:
            raise HarnessError("HttpdInstance needs the ports it listens on")
        self.workdir.mkdir(parents=True, exist_ok=True)
        busy = [p for p in self.ports if port_is_open(p)]
        if busy:
            raise HttpdStartError(f"ports already in use before start: {busy}")
        with open(self.stdout_file, "wb") as out, open(self.stderr_file, "wb") as err:
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, env=httpd_env(self.env),
                                         start_new_session=True)
        self.pgid = self.proc.pid
        _running.append(self)
        try:
            self.wait_for_ports()
            self.check_loopback_only()
        except BaseException:
            self.stop()
            raise
        return self

    def listening(self):
        """[(ip, port)] the httpd parent listens on."""
        return listening_addresses(self.pid) if self.running() else []

    def check_loopback_only(self):
        """The tests run httpd on 127.0.0.1 only: anything else is a broken tree."""
        bad = [a for a in self.listening() if a[0] != "127.0.0.1"]
        if bad:
            raise HttpdStartError(f"httpd listens beyond 127.0.0.1: {bad}")

    def wait_for_ports(self):
        deadline = time.monotonic() + self.start_timeout
        waiting = list(self.ports)
        while waiting:
            if self.proc.poll() is not None:
                raise HttpdStartError(f"httpd exited with {self.proc.returncode} while starting\n"
                                      + self.diagnostics())
            waiting = [p for p in waiting if not port_is_open(p)]
            if not waiting:
                break
            if time.monotonic() > deadline:
                raise HttpdStartError(f"httpd did not open {waiting} in {self.start_timeout}s\n"
                                      + self.diagnostics())
            time.sleep(0.05)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Stop the process group; safe to call more than once."""
        if self.proc is None:
            return
        try:
            stop_process_group(self.proc, self.stop_timeout, "httpd", self.pgid)
        finally:
            if self in _running:
                _running.remove(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @staticmethod
    def _read(path):
        try:
            return Path(path).read_text(errors="replace")
        except OSError:
            return ""

    def error_log_text(self):
        return self._read(self.error_log)

    def stderr_text(self):
        return self._read(self.stderr_file)

    def diagnostics(self):
        return (f"command: {' '.join(self.command())}\n--- stderr:\n{self.stderr_text()}"
                f"--- error log {self.error_log}:\n{self.error_log_text()}")


def stop_all():
    """Stop every HttpdInstance still running (the session's safety net)."""
    for h in list(_running):
        with contextlib.suppress(Exception):
            h.stop()


atexit.register(stop_all)


# --------------------------------------------------------------------------- certificates

def make_test_cert(directory, cn="secure.test", names=("secure.test", "secure2.test")):
    """A self-signed RSA certificate and key made with openssl: (cert_path, key_path)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "test-cert.pem", directory / "test-key.pem"
    san = ",".join(f"DNS:{n}" for n in names)
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", str(key), "-out", str(cert), "-days", "30",
                        "-subj", f"/CN={cn}", "-addext", f"subjectAltName={san}"],
                       capture_output=True, text=True, env=minimal_env(), timeout=120)
    if r.returncode != 0:
        raise HarnessError(f"openssl req failed: {r.stderr}")
    key.chmod(0o600)
    cert.chmod(0o644)
    return cert, key
