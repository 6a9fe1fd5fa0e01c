"""Stapling scenarios for test_predictions_vs_httpd.py, and the helpers around them: the
test PKI (tools/make-test-pki.sh), a real OCSP responder (`openssl ocsp`), rendering a
scenario into an httpd config, and reading what `openssl s_client -status` saw.

A scenario is one small httpd configuration built on the shared test PKI. Each names its
SSL vhosts, what ocsp-lint must flag (rule IDs) and what real httpd did when this file was
written (`httpd`: per vhost "active", "off", "broken" or "fatal"; `startup`: "ok" or
"fails"). The test asserts that ocsp-lint's prediction equals what httpd really does; the
recorded `httpd` values document the cases and catch a broken harness (a dead responder
makes every vhost look "broken").

Tokens in directive lines (str.format):
  {pki}        the PKI directory           {ocsp_url}   http://127.0.0.1:PORT/ of the responder
  {ocsp_port}  the responder's port        {root}       the ServerRoot of the scenario
  {run}        ROOT/run (runtime files)    {P1} {P2}    the scenario's free 127.0.0.1 ports

What the client sees is mapped to a state as follows (classify()):
  handshake with "OCSP Response Status: successful"      -> active (Cert Status recorded)
  handshake with "OCSP response: no response sent"        -> broken when mod_ssl ran its
        stapling callback for the vhost (AH01951 in the vhost's own ErrorLog, LogLevel
        ssl:debug), off when it did not (stapling not enabled for that vhost)
  handshake with a stapled OCSP response whose status is not "successful" (tryLater,
        internalError: SSLStaplingFakeTryLater / SSLStaplingReturnResponderErrors)
                                                           -> broken: the client gets no
        certificate status (a Must-Staple certificate fails as without a staple)
  no handshake (alert, connection closed or refused)      -> fatal

make_pki() adds to the PKI: capath/ (int.pem and root.pem, hashed with `openssl rehash`,
for SSLCACertificatePath) and empty-dir/ (a CA path without certificates).

The responder is restarted after the scenarios that connect to it without sending a
request (SSLStaplingResponderTimeout 0): OpenSSL 3.0's `openssl ocsp` then spins forever
and answers nobody (see Responder).
"""

import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpd as H
import ocsp_fixtures as F

HERE = Path(__file__).resolve().parent

ACTIVE, OFF, BROKEN, FATAL = "active", "off", "broken", "fatal"

# LoadModule lines every scenario gets (a scenario may drop some)
BASE_MODULES = ("mpm_event", "authz_core", "socache_shmcb", "ssl")
DEFAULT_CACHE = "shmcb:{run}/ocsp-stapling(128000)"


@dataclass(frozen=True)
class Vhost:
    """One SSL vhost. main=True: the main server itself (its lines go outside every
    <VirtualHost>, its name is MAIN_NAME)."""
    name: str
    lines: tuple = ()
    port: str = "P1"
    main: bool = False
    ssl_engine: bool = True


@dataclass(frozen=True)
class Scenario:
    id: str
    about: str
    vhosts: tuple
    httpd: dict = field(default_factory=dict)   # vhost name -> state httpd showed
    startup: str = "ok"                         # what httpd did: "ok" or "fails"
    startup_log: str = None                     # regex httpd's stderr/logs match when it fails
    main_lines: tuple = ()                      # main-server directives (before the vhosts)
    cache: str = DEFAULT_CACHE                  # SSLStaplingCache in the main server, or None
    drop_modules: tuple = ()
    lint_rules: tuple = ()                      # rule IDs ocsp-lint must report; when
                                                # startup fails, the first is the cause
    cert_status: dict = field(default_factory=dict)   # vhost name -> stapled Cert Status
    logs: tuple = ()                            # regexes httpd's logs match after the handshakes
    disturbs_responder: bool = False            # restart the responder afterwards

    def ports(self):
        return sorted({v.port for v in self.vhosts if not v.main} | {"P1"})


MAIN_NAME = "main.test"


def cert(name, chain="fullchain"):
    """SSLCertificateFile/KeyFile lines for a leaf of the test PKI."""
    f = f"{name}-fullchain.pem" if chain == "fullchain" else f"{name}.pem"
    return (f'SSLCertificateFile "{{pki}}/{f}"', f'SSLCertificateKeyFile "{{pki}}/{name}.key"')


ON = ("SSLUseStapling on",)

SCENARIOS = [
    Scenario("active-fullchain",
             "stapling on, leaf + intermediate in SSLCertificateFile, responder up",
             (Vhost("good.test", ON + cert("good")),),
             httpd={"good.test": ACTIVE}, cert_status={"good.test": "good"}),
    Scenario("broken-no-chain",
             "the certificate file holds only the leaf: mod_ssl cannot find the issuer",
             (Vhost("good.test", ON + cert("good", chain=None)),),
             httpd={"good.test": BROKEN}, lint_rules=("OA201",),
             logs=(r"AH02217: ssl_stapling_init_cert: can't retrieve issuer certificate",)),
    Scenario("off-stapling-off",
             "SSLUseStapling off for a certificate that names a responder",
             (Vhost("good.test", ("SSLUseStapling off",) + cert("good")),),
             httpd={"good.test": OFF}, lint_rules=("OA104",)),
    Scenario("off-not-configured",
             "no SSLUseStapling at all (the default is off), no SSLStaplingCache",
             (Vhost("good.test", cert("good")),), cache=None,
             httpd={"good.test": OFF}, lint_rules=("OA104",)),
    Scenario("broken-no-ocsp-url",
             "stapling on for a certificate without an OCSP URL (CRL only)",
             (Vhost("noocsp.test", ON + cert("noocsp")),),
             httpd={"noocsp.test": BROKEN}, lint_rules=("OA203",),
             logs=(r"AH02218: ssl_stapling_init_cert: no OCSP URI in certificate",)),
    Scenario("fatal-forceurl-https",
             "SSLStaplingForceURL with an https URL: mod_ssl's OCSP client speaks only http",
             (Vhost("good.test", ON + cert("good")
                    + ("SSLStaplingForceURL https://127.0.0.1:{ocsp_port}/",)),),
             httpd={"good.test": FATAL}, lint_rules=("OA204",),
             logs=(r"AH01940: stapling_renew_response: Unsupported uri",
                   r"AH01955: stapling_cb: fatal error renewing response")),
    Scenario("fatal-forceurl-no-scheme-hostport",
             "SSLStaplingForceURL 127.0.0.1:PORT/ (no scheme): apr_uri_parse fails",
             (Vhost("good.test", ON + cert("good")
                    + ("SSLStaplingForceURL 127.0.0.1:{ocsp_port}/",)),),
             httpd={"good.test": FATAL}, lint_rules=("OA204",),
             logs=(r"AH01939: stapling_renew_response: Error parsing uri",)),
    Scenario("fatal-forceurl-no-scheme-crash",
             "SSLStaplingForceURL 127.0.0.1/ocsp (no scheme, no port): the URL parses with "
             "no scheme and mod_ssl's strcmp(uri.scheme, \"http\") crashes the child "
             "(SIGSEGV) in every handshake that asks for a staple",
             (Vhost("good.test", ON + cert("good") + ("SSLStaplingForceURL 127.0.0.1/ocsp",)),),
             httpd={"good.test": FATAL}, lint_rules=("OA204",),
             logs=(r"AH00052: child pid \d+ exit signal Segmentation fault",)),
    Scenario("fatal-aia-https",
             "the certificate's AIA OCSP URL is https, no SSLStaplingForceURL",
             (Vhost("httpsocsp.test", ON + cert("httpsocsp")),),
             httpd={"httpsocsp.test": FATAL}, lint_rules=("OA204",),
             logs=(r"AH01940: stapling_renew_response: Unsupported uri",)),
    Scenario("active-must-staple",
             "a Must-Staple certificate with stapling on",
             (Vhost("muststaple.test", ON + cert("muststaple")),),
             httpd={"muststaple.test": ACTIVE}, cert_status={"muststaple.test": "good"}),
    Scenario("off-must-staple",
             "a Must-Staple certificate with stapling off: no staple, Firefox refuses",
             (Vhost("muststaple.test", ("SSLUseStapling off",) + cert("muststaple")),),
             httpd={"muststaple.test": OFF}, lint_rules=("OA205", "OA104")),
    Scenario("startup-no-cache",
             "SSLUseStapling on and no SSLStaplingCache anywhere",
             (Vhost("good.test", ON + cert("good")),), cache=None,
             startup="fails", startup_log=r"AH01958: SSLStapling: no stapling cache available",
             lint_rules=("OA101",)),
    Scenario("startup-cache-in-vhost",
             "SSLStaplingCache written inside the <VirtualHost> (and nowhere else)",
             (Vhost("good.test", ON + cert("good")
                    + ("SSLStaplingCache shmcb:{run}/in-vhost(128000)",)),), cache=None,
             startup="fails",
             startup_log=r"SSLStaplingCache cannot occur within <VirtualHost> section",
             lint_rules=("OA102",)),
    Scenario("startup-cache-module-missing",
             "SSLStaplingCache shmcb:... without mod_socache_shmcb loaded",
             (Vhost("good.test", ON + cert("good")),), drop_modules=("socache_shmcb",),
             startup="fails", startup_log=r"'shmcb' stapling cache not supported",
             lint_rules=("OA103",)),
    Scenario("startup-key-mismatch",
             "SSLCertificateKeyFile is the key of another certificate",
             (Vhost("good.test", ON + ('SSLCertificateFile "{pki}/good-fullchain.pem"',
                                       'SSLCertificateKeyFile "{pki}/noocsp.key"')),),
             startup="fails", startup_log=r"AH02565: Certificate and private key .* do not match",
             lint_rules=("OA304",)),
    Scenario("active-revoked",
             "a revoked certificate: the staple says revoked, but it is a staple",
             (Vhost("revoked.test", ON + cert("revoked")),),
             httpd={"revoked.test": ACTIVE}, cert_status={"revoked.test": "revoked"},
             logs=(r"AH02969: stapling_check_response: response has certificate status revoked",)),
    Scenario("active-revoked-no-responder-errors",
             "revoked certificate with SSLStaplingReturnResponderErrors off: a revoked status "
             "is no responder error, it is still stapled",
             (Vhost("revoked.test", ON + cert("revoked")
                    + ("SSLStaplingReturnResponderErrors off",)),),
             httpd={"revoked.test": ACTIVE}, cert_status={"revoked.test": "revoked"}),
    Scenario("active-unknown-to-responder",
             "leaf of another intermediate (other-fullchain.pem): the responder answers "
             "'unknown', and mod_ssl staples that",
             (Vhost("other.test", ON + cert("other")),),
             httpd={"other.test": ACTIVE}, cert_status={"other.test": "unknown"}),
    Scenario("active-chain-in-ca-file",
             "only the leaf in SSLCertificateFile; the issuer comes from SSLCACertificateFile",
             (Vhost("good.test", ON + cert("good", chain=None)
                    + ('SSLCACertificateFile "{pki}/chain.pem"',)),),
             httpd={"good.test": ACTIVE}, cert_status={"good.test": "good"}),
    Scenario("active-chain-file",
             "the issuer comes from SSLCertificateChainFile (deprecated, still works)",
             (Vhost("good.test", ON + cert("good", chain=None)
                    + ('SSLCertificateChainFile "{pki}/int.pem"',)),),
             httpd={"good.test": ACTIVE}, cert_status={"good.test": "good"},
             lint_rules=("OA405",)),
    Scenario("broken-stale-chain-file",
             "SSLCertificateChainFile is an unrelated intermediate (other-int.pem)",
             (Vhost("good.test", ON + cert("good", chain=None)
                    + ('SSLCertificateChainFile "{pki}/other-int.pem"',)),),
             httpd={"good.test": BROKEN}, lint_rules=("OA201",),
             logs=(r"AH02217: ssl_stapling_init_cert: can't retrieve issuer certificate",)),
    Scenario("inherit-from-main-server",
             "SSLUseStapling on in the main server: one vhost inherits it, one overrides it "
             "with off",
             (Vhost("good.test", cert("good")),
              Vhost("soon.test", ("SSLUseStapling off",) + cert("soon"), port="P2")),
             main_lines=("SSLUseStapling on",),
             httpd={"good.test": ACTIVE, "soon.test": OFF},
             cert_status={"good.test": "good"}, lint_rules=("OA104", "OA303")),
    Scenario("sni-active-and-broken",
             "two name-based vhosts on one port (SNI): one staples, one has no OCSP URL",
             (Vhost("good.test", ON + cert("good")), Vhost("noocsp.test", ON + cert("noocsp"))),
             httpd={"good.test": ACTIVE, "noocsp.test": BROKEN},
             cert_status={"good.test": "good"}, lint_rules=("OA203",)),
    Scenario("sni-fatal-and-off",
             "two name-based vhosts on one port (SNI): an https AIA URL (fatal) next to a vhost "
             "with stapling off",
             (Vhost("httpsocsp.test", ON + cert("httpsocsp")),
              Vhost("good.test", ("SSLUseStapling off",) + cert("good"))),
             httpd={"httpsocsp.test": FATAL, "good.test": OFF}, lint_rules=("OA204", "OA104")),
    Scenario("expired-leaf",
             "an expired leaf with stapling on: httpd starts, and the responder still answers "
             "good",
             (Vhost("expired.test", ON + cert("expired")),),
             httpd={"expired.test": ACTIVE}, cert_status={"expired.test": "good"},
             lint_rules=("OA301",)),
    Scenario("active-forceurl-rescues-no-ocsp-url",
             "a certificate without OCSP URL, SSLStaplingForceURL names the responder",
             (Vhost("noocsp.test", ON + cert("noocsp")
                    + ("SSLStaplingForceURL {ocsp_url}",)),),
             httpd={"noocsp.test": ACTIVE}, cert_status={"noocsp.test": "good"}),
    Scenario("active-forceurl-overrides-https-aia",
             "an https AIA URL overridden by an http SSLStaplingForceURL",
             (Vhost("httpsocsp.test", ON + cert("httpsocsp")
                    + ("SSLStaplingForceURL {ocsp_url}",)),),
             httpd={"httpsocsp.test": ACTIVE}, cert_status={"httpsocsp.test": "good"}),
    Scenario("active-main-server-ssl",
             "no <VirtualHost>: the main server itself speaks TLS and staples",
             (Vhost(MAIN_NAME, ("SSLEngine on",) + ON + cert("good"), main=True,
                    ssl_engine=False),),
             httpd={MAIN_NAME: ACTIVE}, cert_status={MAIN_NAME: "good"}),
    Scenario("active-chain-in-ca-path",
             "only the leaf in SSLCertificateFile; the issuer comes from a hashed "
             "SSLCACertificatePath directory",
             (Vhost("good.test", ON + cert("good", chain=None)
                    + ('SSLCACertificatePath "{pki}/capath"',)),),
             httpd={"good.test": ACTIVE}, cert_status={"good.test": "good"}),
    Scenario("startup-ca-path-without-certs",
             "SSLCACertificatePath names a directory without certificates: mod_ssl finds no "
             "acceptable client CA names and exits",
             (Vhost("good.test", ON + cert("good") + ('SSLCACertificatePath "{pki}/empty-dir"',)),),
             startup="fails",
             startup_log=r"AH01896: Unable to determine list of acceptable CA certificates"),
    Scenario("startup-ca-file-missing",
             "SSLCACertificateFile names a file that does not exist (a syntax error for httpd)",
             (Vhost("good.test", ON + cert("good")
                    + ('SSLCACertificateFile "{pki}/no-such-ca.pem"',)),),
             startup="fails",
             startup_log=r"SSLCACertificateFile: file '.*' does not exist or is empty",
             lint_rules=("OA305",)),
    Scenario("startup-ca-file-without-certs",
             "SSLCACertificateFile names a PEM file with no certificate in it (a private key)",
             (Vhost("good.test", ON + cert("good") + ('SSLCACertificateFile "{pki}/good.key"',)),),
             startup="fails",
             startup_log=r"AH01895: Unable to configure verify locations",
             lint_rules=("OA305",)),
    Scenario("two-certs-same-key-type-last-wins-active",
             "two EC certificates in one vhost, the one without OCSP URL first: OpenSSL keeps "
             "one certificate per key type, the last; mod_ssl staples only that one",
             (Vhost("good.test", ON + cert("noocsp") + cert("good")),),
             httpd={"good.test": ACTIVE}, cert_status={"good.test": "good"}),
    Scenario("two-certs-same-key-type-last-wins-broken",
             "two EC certificates in one vhost, the one without OCSP URL last: that one is "
             "served, and never stapled",
             (Vhost("noocsp.test", ON + cert("good") + cert("noocsp")),),
             httpd={"noocsp.test": BROKEN}, lint_rules=("OA203",)),
    Scenario("broken-responder-timeout-zero",
             "SSLStaplingResponderTimeout 0: the socket is non-blocking, the connect to the "
             "responder fails at once (AH01974) and mod_ssl staples a faked tryLater "
             "response (SSLStaplingFakeTryLater defaults on): the client gets no status",
             (Vhost("good.test", ON + cert("good") + ("SSLStaplingResponderTimeout 0",)),),
             httpd={"good.test": BROKEN}, lint_rules=("OA403",),
             logs=(r"AH01974: could not connect to OCSP responder",),
             disturbs_responder=True),
    Scenario("broken-responder-timeout-zero-errors-off",
             "SSLStaplingResponderTimeout 0 with SSLStaplingReturnResponderErrors off: the "
             "faked tryLater (SSLStaplingFakeTryLater, on by default) is stapled all the same",
             (Vhost("good.test", ON + cert("good") + ("SSLStaplingResponderTimeout 0",
                                                      "SSLStaplingReturnResponderErrors off")),),
             httpd={"good.test": BROKEN}, lint_rules=("OA403",),
             logs=(r"AH01974: could not connect to OCSP responder",),
             disturbs_responder=True),
    Scenario("broken-responder-timeout-zero-no-fake",
             "SSLStaplingResponderTimeout 0 with SSLStaplingReturnResponderErrors off and "
             "SSLStaplingFakeTryLater off: no staple at all",
             (Vhost("good.test", ON + cert("good") + ("SSLStaplingResponderTimeout 0",
                                                      "SSLStaplingReturnResponderErrors off",
                                                      "SSLStaplingFakeTryLater off")),),
             httpd={"good.test": BROKEN}, lint_rules=("OA403",),
             logs=(r"AH01974: could not connect to OCSP responder",),
             disturbs_responder=True),
    Scenario("active-after-responder-restart",
             "the fullchain case again, after the scenarios that disturb the responder: shows "
             "that the harness restarted it",
             (Vhost("soon.test", ON + cert("soon")),),
             httpd={"soon.test": ACTIVE}, cert_status={"soon.test": "good"},
             lint_rules=("OA303",)),
]


# --------------------------------------------------------------------------- config

def render(scenario, root, ports, pki_dir, ocsp_port, modules_dir):
    """Write ROOT/main.conf for scenario; returns its path. ports: {"P1": n, ...}."""
    root = Path(root)
    for d in ("run", "logs", "htdocs"):
        (root / d).mkdir(parents=True, exist_ok=True)
    tokens = {"pki": str(pki_dir), "ocsp_port": ocsp_port,
              "ocsp_url": f"http://127.0.0.1:{ocsp_port}/", "root": str(root),
              "run": str(root / "run")}
    tokens.update(ports)

    def fmt(line):
        return line.format(**tokens)

    out = [f"# scenario {scenario.id}: {scenario.about}",
           f'ServerRoot "{root}"',
           f'DefaultRuntimeDir "{root}/run"',
           f'PidFile "{root}/run/httpd.pid"',
           f'ErrorLog "{root}/logs/error.log"',
           # ssl:debug shows whether mod_ssl's stapling callback ran (AH01951): off vs broken
           "LogLevel warn ssl:debug"]
    for m in BASE_MODULES:
        if m not in scenario.drop_modules:
            out.append(f'LoadModule {m}_module "{modules_dir}/mod_{m}.so"')
    out += [f"ServerName {MAIN_NAME}", f'DocumentRoot "{root}/htdocs"']
    for p in scenario.ports():
        out.append(f"Listen 127.0.0.1:{ports[p]}")
    if scenario.cache:
        out.append(f"SSLStaplingCache {fmt(scenario.cache)}")
    out += [fmt(line) for line in scenario.main_lines]
    for vh in scenario.vhosts:
        if vh.main:
            out += [fmt(line) for line in vh.lines]
    for vh in scenario.vhosts:
        if vh.main:
            continue
        out.append(f"<VirtualHost 127.0.0.1:{ports[vh.port]}>")
        out.append(f"    ServerName {vh.name}")
        out.append(f'    ErrorLog "{vhost_log(root, vh)}"')
        if vh.ssl_engine:
            out.append("    SSLEngine on")
        out += ["    " + fmt(line) for line in vh.lines]
        out.append("</VirtualHost>")
    conf = root / "main.conf"
    conf.write_text("\n".join(out) + "\n")
    H.widen_modes(root)
    return conf


def vhost_log(root, vh, main_log=None):
    """The ErrorLog of a vhost (the main server's is main_log: HttpdInstance's)."""
    if vh.main:
        return main_log
    return Path(root) / "logs" / (vh.name + ".log")


# --------------------------------------------------------------------------- PKI

def make_pki(directory, ocsp_url, timeout=180):
    """tools/make-test-pki.sh DIRECTORY OCSP_URL; raises on failure."""
    d = F.run_pki_script(directory, ocsp_url, timeout)
    # extras for the CA path scenarios: a hashed CA directory and an empty one
    (d / "capath").mkdir()
    for f in ("int.pem", "root.pem"):
        (d / "capath" / f).write_bytes((d / f).read_bytes())
    r = subprocess.run(["openssl", "rehash", str(d / "capath")], capture_output=True,
                       text=True, env=H.minimal_env(), timeout=60, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise H.HarnessError(f"openssl rehash failed: {r.stderr}")
    (d / "empty-dir").mkdir()
    if os.geteuid() == 0:
        # only httpd's parent (root) reads the keys; the directories must be enterable
        for p in (d, d / "capath", d / "empty-dir"):
            p.chmod(0o755)
    return d


# --------------------------------------------------------------------------- responder

class Responder(F.OcspResponder):
    """`openssl ocsp` serving the PKI's database on 127.0.0.1:port (the shared
    OcspResponder without -ignore_err, not in the registry: one for the session).

    OpenSSL 3.0's -port takes only a number, so the responder binds every interface
    (not only 127.0.0.1). That is acceptable on this isolated test machine; nothing but
    127.0.0.1 is ever sent to it.

    The responder is one process serving one connection at a time. OpenSSL 3.0.x spins
    forever (100% CPU, no more answers) on a connection that is closed without a request
    (-timeout does not help), so: never probe it with a bare TCP connect; check it with a
    real OCSP query (healthy()) and restart it when a scenario may have done that
    (ensure()). It is restarted on the same port: the certificates name it.
    """

    def __init__(self, pki_dir, port, log_path):
        super().__init__(pki_dir, port, log=log_path, ignore_err=False, registered=False)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = self.log
        self.restarts = 0

    def start(self, timeout=20.0, attempts=3):
        """Start it and wait until it answers; a responder that exits at once (its port
        not free yet after a restart) is started again, up to `attempts` times."""
        if self.proc is not None:
            raise H.HarnessError("responder already started")
        for attempt in range(1, attempts + 1):
            self.spawn()
            deadline = time.monotonic() + timeout
            while self.proc.poll() is None:
                if self.healthy(timeout=5):
                    return self
                if time.monotonic() > deadline:
                    self.stop()
                    raise H.HarnessError(f"openssl ocsp did not answer on port {self.port} "
                                         f"within {timeout}s")
                time.sleep(0.2)
            self.proc = None
            if attempt < attempts:
                time.sleep(1.0)
        raise H.HarnessError("openssl ocsp exited at start:\n"
                             + self.log_path.read_text(errors="replace")[-4000:])

    def healthy(self, timeout=5):
        """A real OCSP query for the good leaf answers "good"."""
        if self.proc is None or self.proc.poll() is not None:
            return False
        try:
            r = subprocess.run(["openssl", "ocsp", "-issuer", str(self.pki / "int.pem"),
                                "-cert", str(self.pki / "good.pem"), "-url", self.url,
                                "-CAfile", str(self.pki / "root.pem"), "-timeout", str(timeout)],
                               capture_output=True, text=True, env=H.minimal_env(),
                               timeout=timeout + 5, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return False
        return r.returncode == 0 and ": good" in r.stdout

    def ensure(self):
        """Restart the responder unless it answers."""
        if not self.healthy():
            self.restart()

    def restart(self):
        self.stop()
        self.restarts += 1
        self.start()

    def stop(self, timeout=10.0):
        super().stop(timeout, what="openssl ocsp")


# --------------------------------------------------------------------------- the client

def s_client(port, servername, status=True, timeout=30):
    """One handshake with `openssl s_client` (stdin closed). Returns a dict:
    rc, connected, handshake, staple (None: no OCSP line; "none": no response sent;
    else the OCSP Response Status), cert_status, output."""
    return F.s_client(port, servername, status, timeout, catch_timeout=True)


def classify(hs, callback_ran):
    """The state a client asking for a staple saw in one handshake (see the module doc).
    callback_ran: mod_ssl's stapling callback ran for the vhost (AH01951 in its log)."""
    if not hs["handshake"]:
        return FATAL, ("connection refused" if not hs["connected"]
                       else "handshake failed (alert or connection closed)")
    if hs["staple"] == "successful":
        return ACTIVE, f"staple, Cert Status: {hs['cert_status']}"
    if hs["staple"] == "none":
        if callback_ran:
            return BROKEN, "no staple, although mod_ssl's stapling callback ran (AH01951)"
        return OFF, "no staple, and mod_ssl's stapling callback never ran"
    if hs["staple"]:
        return BROKEN, f"an error response is stapled: OCSP Response Status: {hs['staple']}"
    return "unknown", "the handshake completed but s_client printed no OCSP line"


def excerpt(output, limit=25):
    """The lines of s_client's output that matter."""
    keep = [ln for ln in output.splitlines()
            if re.search(r"CONNECTED|OCSP|Status|alert|error|errno|Cipher is|timed out", ln)]
    return "\n".join(keep[:limit])


def read(path):
    try:
        return Path(path).read_text(errors="replace")
    except (OSError, TypeError):
        return ""
