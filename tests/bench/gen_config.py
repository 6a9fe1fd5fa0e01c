#!/usr/bin/python3
"""Generate an Apache httpd 2.4 configuration with many SSL virtual hosts for the
ocsp-lint benchmark (tests/bench/run.sh).

    gen_config.py --out DIR [--vhosts 10000] [--files 100] [--ports 4] [--certs 20]
                  [--certs-dir DIR/certs] [--modules /usr/lib/apache2/modules]
                  [--base-port 18443 | --listen PORT,PORT...] [--http-port PORT]
                  [--module mod_ocsp_audit.so] [--force-url URL] [--user U --group G]
                  [--probe-interval S] [--log-level LEVEL] [--docroot-file NAME]

Writes DIR/main.conf (modules, Listen, the global SSLStaplingCache,
`Include sites/*.conf`) and DIR/sites/site-NNNN.conf: --files files holding --vhosts
`<VirtualHost 127.0.0.1:PORT>` sections in total, spread over --ports ports, each with a
ServerName, two ServerAlias names, SSLEngine on, SSLCertificateFile/SSLCertificateKeyFile
and SSLUseStapling on. The vhosts share --certs certificates (vhost i uses certificate
i mod --certs), signed by one test CA and carrying an OCSP responder URL on 127.0.0.1
that nothing ever asks (neither `httpd -t` nor ocsp-lint talks to a responder).

The certificates are made with openssl in --certs-dir, once: existing ones are reused,
so several configurations (run.sh's scaling check) can share them. EC P-256 keys keep
this fast. Nothing listens: `httpd -t`/`-S` and ocsp-lint only read the files.

More than 20 certificates (tests/bench/hosting.py's "distinct certificates": one per
vhost) are made with python3-cryptography when it is there (0.1 ms each instead of
the 20 ms of two openssl processes); they share one key, leaf.key, since what the
benchmark measures is the number of distinct certificates.

For hosting.py the configuration can also be started: --listen gives the HTTPS ports,
--http-port a plain listener for the status pages (the main server's), --module loads
mod_ocsp_audit with `<Location /ocsp-status>` (and mod_status's /server-status),
--force-url sets a global SSLStaplingForceURL (where the responder is), --user/--group
whom the children run as.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"gen_config.py: {' '.join(cmd)} failed (exit {r.returncode}):\n{r.stderr}")
    return r


def make_certs(d, count, openssl="openssl"):
    """A test CA and count leaf certificates signed by it, in d: leaf-NN.pem (leaf
    followed by the CA, as SSLCertificateFile takes a chain) and leaf-NN.key."""
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca_crt = d / "ca.key", d / "ca.pem"
    if not (ca_key.exists() and ca_crt.exists()):
        sh([openssl, "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(ca_key), "-out", str(ca_crt),
            "-days", "3650", "-subj", "/CN=ocsp-lint bench CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    ext = d / "leaf.ext"
    ext.write_text("basicConstraints=CA:FALSE\n"
                   "keyUsage=critical,digitalSignature\n"
                   "extendedKeyUsage=serverAuth\n"
                   "authorityInfoAccess=OCSP;URI:http://127.0.0.1:9/ocsp\n"
                   "subjectAltName=DNS:bench.test,DNS:*.bench.test\n")
    pairs = []
    for i in range(count):
        key, crt = d / f"leaf-{i:02d}.key", d / f"leaf-{i:02d}.pem"
        if not (key.exists() and crt.exists()):
            csr = d / f"leaf-{i:02d}.csr"
            sh([openssl, "req", "-new", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out", str(csr),
                "-subj", f"/CN=bench-{i:02d}.bench.test"])
            sign = sh([openssl, "x509", "-req", "-in", str(csr), "-CA", str(ca_crt),
                       "-CAkey", str(ca_key), "-set_serial", str(1000 + i), "-days", "3650",
                       "-extfile", str(ext)])
            crt.write_text(sign.stdout + ca_crt.read_text())
            csr.unlink()
        pairs.append((crt, key))
    return pairs


def make_certs_fast(d, count):
    """As make_certs, with python3-cryptography, for many certificates: leaf-N.pem
    (leaf then CA) for N < count, all with the key leaf.key; the CA is ca.pem/ca.key
    (made here unless make_certs made them). Existing files are kept."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, AuthorityInformationAccessOID

    d.mkdir(parents=True, exist_ok=True)
    ca_key_p, ca_crt_p = d / "ca.key", d / "ca.pem"
    if not (ca_key_p.exists() and ca_crt_p.exists()):
        make_certs(d, 0)
    ca_key = serialization.load_pem_private_key(ca_key_p.read_bytes(), None)
    ca_pem = ca_crt_p.read_bytes()
    ca = x509.load_pem_x509_certificate(ca_pem)
    key_p = d / "leaf.key"
    if key_p.exists():
        key = serialization.load_pem_private_key(key_p.read_bytes(), None)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        key_p.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    start = datetime.datetime(2025, 1, 1)
    end = datetime.datetime(2035, 1, 1)
    aia = x509.AuthorityInformationAccess([x509.AccessDescription(
        AuthorityInformationAccessOID.OCSP,
        x509.UniformResourceIdentifier("http://127.0.0.1:9/ocsp"))])
    pairs = []
    for i in range(count):
        crt = d / f"leaf-{i}.pem"
        if not crt.exists():
            c = (x509.CertificateBuilder()
                 .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                             f"bench-{i}.bench.test")]))
                 .issuer_name(ca.subject).public_key(key.public_key())
                 .serial_number(100000 + i).not_valid_before(start).not_valid_after(end)
                 .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
                 .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                              False, False), True)
                 .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
                 .add_extension(aia, False)
                 .add_extension(x509.SubjectAlternativeName(
                     [x509.DNSName("bench.test"), x509.DNSName("*.bench.test")]), False)
                 .sign(ca_key, hashes.SHA256()))
            crt.write_bytes(c.public_bytes(serialization.Encoding.PEM) + ca_pem)
        pairs.append((crt, key_p))
    return pairs


def have_cryptography():
    try:
        import cryptography.x509  # noqa: F401
        return True
    except ImportError:
        return False


MODULE = """
LoadModule status_module {modules}/mod_status.so
LoadModule ocsp_audit_module "{module}"
LogLevel {log_level} ocsp_audit:debug
ExtendedStatus On
<Location /ocsp-status>
    SetHandler ocsp-audit-status
</Location>
<Location /server-status>
    SetHandler server-status
</Location>
"""

MAIN = """\
# Generated by tests/bench/gen_config.py: {vhosts} SSL vhosts in {files} files.
ServerRoot "{root}"
DefaultRuntimeDir "{root}/run"
PidFile "{root}/run/httpd.pid"
ErrorLog "{root}/logs/error.log"
LogLevel {log_level}
Mutex file:{root}/run default
TypesConfig "{root}/mime.types"

LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule socache_shmcb_module {modules}/mod_socache_shmcb.so
LoadModule ssl_module {modules}/mod_ssl.so

ServerName main.bench.test
ServerAdmin webmaster@bench.test
DocumentRoot "{root}/htdocs"
<Directory />
    Require all denied
</Directory>
<Directory "{root}/htdocs">
    Require all granted
</Directory>
{extra}
{listen}
SSLStaplingCache "shmcb:{root}/run/ssl_stapling(1048576)"
SSLSessionCache "shmcb:{root}/run/ssl_scache(512000)"
SSLStaplingResponderTimeout 2
SSLStaplingReturnResponderErrors off

Include sites/*.conf
"""

VHOST = """\
<VirtualHost 127.0.0.1:{port}>
    ServerName v{i}.bench.test
    ServerAlias www.v{i}.bench.test alt{i}.bench.test
    DocumentRoot "{root}/htdocs"
    SSLEngine on
    SSLCertificateFile "{crt}"
    SSLCertificateKeyFile "{key}"
    SSLUseStapling on
</VirtualHost>
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="directory to write (made if missing)")
    ap.add_argument("--vhosts", type=int, default=10000)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--ports", type=int, default=4)
    ap.add_argument("--base-port", type=int, default=18443)
    ap.add_argument("--certs", type=int, default=20)
    ap.add_argument("--certs-dir", help="where the certificates are (default OUT/certs)")
    ap.add_argument("--modules", default="/usr/lib/apache2/modules")
    ap.add_argument("--openssl", default="openssl")
    ap.add_argument("--listen", help="comma-separated HTTPS ports (instead of --base-port/--ports)")
    ap.add_argument("--http-port", type=int, help="a plain HTTP listener (the main server's)")
    ap.add_argument("--module", help="mod_ocsp_audit.so to load, with the status pages")
    ap.add_argument("--force-url", help="a global SSLStaplingForceURL")
    ap.add_argument("--probe-interval", type=int, help="OcspAuditProbeInterval")
    ap.add_argument("--log-level", default="warn")
    ap.add_argument("--user")
    ap.add_argument("--group")
    a = ap.parse_args()
    if a.vhosts < 1 or a.files < 1 or a.ports < 1 or a.certs < 1:
        ap.error("--vhosts, --files, --ports and --certs must be at least 1")
    files = min(a.files, a.vhosts)

    root = Path(a.out).resolve()
    for sub in ("sites", "run", "logs", "htdocs"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    certs_dir = Path(a.certs_dir).resolve() if a.certs_dir else root / "certs"
    if a.certs > 20 and have_cryptography():
        certs = make_certs_fast(certs_dir, a.certs)
    else:
        certs = make_certs(certs_dir, a.certs, a.openssl)

    if a.listen:
        ports = [int(p) for p in a.listen.split(",")]
    else:
        ports = [a.base_port + p for p in range(a.ports)]
    listen = "\n".join(f"Listen 127.0.0.1:{p} https" for p in ports)
    extra = []
    if a.http_port:
        listen += f"\nListen 127.0.0.1:{a.http_port} http"
    if a.user:
        extra += [f"User {a.user}", f"Group {a.group or a.user}"]
    if a.force_url:
        extra.append(f"SSLStaplingForceURL {a.force_url}")
    if a.module:
        extra.append(MODULE.format(modules=a.modules, module=a.module, log_level=a.log_level))
        if a.probe_interval:
            extra.append(f"OcspAuditProbeInterval {a.probe_interval}")
    (root / "mime.types").write_text("text/html html\n")
    (root / "htdocs" / "index.html").write_text("<html><body>bench</body></html>\n")
    (root / "main.conf").write_text(MAIN.format(vhosts=a.vhosts, files=files, root=root,
                                                modules=a.modules, listen=listen,
                                                log_level=a.log_level,
                                                extra="\n".join(extra) + "\n"))
    # vhosts i*per..: file k gets an even share, the first ones one more when uneven
    per, extra = divmod(a.vhosts, files)
    i = 0
    for k in range(files):
        n = per + (1 if k < extra else 0)
        chunks = []
        for _ in range(n):
            crt, key = certs[i % len(certs)]
            chunks.append(VHOST.format(i=i, port=ports[i % len(ports)], root=root,
                                       crt=crt, key=key))
            i += 1
        (root / "sites" / f"site-{k:04d}.conf").write_text("\n".join(chunks))
    print(f"{root}/main.conf: {a.vhosts} vhosts in {files} files, {len(ports)} ports, "
          f"{len(certs)} certificates")


if __name__ == "__main__":
    main()
