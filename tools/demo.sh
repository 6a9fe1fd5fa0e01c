#!/bin/sh
# demo.sh: install what is needed, build, lint the bundled example configs, then start a
# real httpd on loopback with mod_ocsp_audit, a local test CA and an `openssl ocsp`
# responder, wait for the first probe round and show the status page.
#
# A second run stops what the first started and starts afresh. `tools/demo.sh stop`
# only stops it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build/demo
run=$build/run
httpd=${HTTPD:-/usr/sbin/apache2}
modules=${HTTPD_MODULES:-/usr/lib/apache2/modules}

stop_demo() {
    if [ -f "$run/httpd.pid" ]; then
        "$httpd" -d "$run" -f "$run/httpd.conf" -k stop 2>/dev/null || true
        i=0
        while [ -f "$run/httpd.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    fi
    if [ -f "$run/ocsp.pid" ]; then
        kill "$(cat "$run/ocsp.pid")" 2>/dev/null || true
        rm -f "$run/ocsp.pid"
    fi
}

if [ "${1:-}" = stop ]; then
    stop_demo
    echo "demo stopped"
    exit 0
fi

"$top/tools/deps.sh"
"$top/tools/build.sh" "$build" >/dev/null
lint=$build/lint/ocsp-lint
module=$build/mod_ocsp_audit/.libs/mod_ocsp_audit.so

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# ------------------------------------------------------------------ 1. the linter
for ex in debian rhel; do
    pki=$top/docs/examples/$ex/pki
    [ -f "$pki/good.pem" ] || "$top/tools/make-test-pki.sh" "$pki" http://127.0.0.1:8888/ >/dev/null
done
ex=$top/docs/examples

say ocsp-lint --vhosts -d docs/examples/debian docs/examples/debian/apache2.conf
"$lint" --vhosts -d "$ex/debian" "$ex/debian/apache2.conf"

say ocsp-lint --vhosts docs/examples/rhel/conf/httpd.conf
"$lint" --vhosts "$ex/rhel/conf/httpd.conf"

say ocsp-lint -v -d docs/examples/debian docs/examples/debian/apache2.conf
rc=0
"$lint" -v -d "$ex/debian" "$ex/debian/apache2.conf" || rc=$?
echo "(exit code $rc: 1 means findings at or above error, as a CI gate would see it)"

# ------------------------------------------------------------------ 2. a live server
stop_demo
rm -rf "$run"
mkdir -p "$run/htdocs"

# free loopback ports (a connect that fails means nothing listens there)
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    p=$1
    while in_use "$p"; do p=$((p + 1)); done
    echo "$p"
}
https_port=$(free_port 18443)
http_port=$(free_port $((https_port + 1)))
ocsp_port=$(free_port $((http_port + 1)))

"$top/tools/make-test-pki.sh" "$run/pki" "http://127.0.0.1:$ocsp_port/" >/dev/null
echo "<h1>mod_ocsp_audit demo</h1>" > "$run/htdocs/index.html"

user=""
if [ "$(id -u)" -eq 0 ]; then
    # httpd's children drop root: let them read the demo's files
    user="User www-data
Group www-data"
    chmod -R a+rX "$run"
fi

cat > "$run/httpd.conf" <<EOF
# written by tools/demo.sh
ServerRoot "$run"
ServerName localhost
PidFile "$run/httpd.pid"
ErrorLog "$run/error.log"
LogLevel warn ocsp_audit:info
DefaultRuntimeDir "$run"
$user
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule authz_host_module $modules/mod_authz_host.so
LoadModule ssl_module $modules/mod_ssl.so
LoadModule socache_shmcb_module $modules/mod_socache_shmcb.so
LoadModule status_module $modules/mod_status.so
LoadModule ocsp_audit_module $module
Listen 127.0.0.1:$https_port
Listen 127.0.0.1:$http_port
DocumentRoot "$run/htdocs"
SSLStaplingCache shmcb:$run/stapling(128000)
OcspAuditProbeInterval 10

# the status page: hostnames and config paths, so keep it local
<Location /ocsp-status>
    SetHandler ocsp-audit-status
    Require local
</Location>
<Location /server-status>
    SetHandler server-status
    Require local
</Location>

# staples: a certificate with an OCSP URL and its chain
<VirtualHost 127.0.0.1:$https_port>
    ServerName good.test
    SSLEngine on
    SSLCertificateFile pki/good-fullchain.pem
    SSLCertificateKeyFile pki/good.key
    SSLUseStapling on
</VirtualHost>

# never staples: the issuer is nowhere mod_ssl looks (AH02217)
<VirtualHost 127.0.0.1:$https_port>
    ServerName nochain.test
    SSLEngine on
    SSLCertificateFile pki/muststaple.pem
    SSLCertificateKeyFile pki/muststaple.key
    SSLUseStapling on
</VirtualHost>

# never staples: no OCSP URL in the certificate (AH02218)
<VirtualHost 127.0.0.1:$https_port>
    ServerName noocsp.test
    SSLEngine on
    SSLCertificateFile pki/noocsp-fullchain.pem
    SSLCertificateKeyFile pki/noocsp.key
    SSLUseStapling on
</VirtualHost>
EOF

# the responder (OpenSSL 3.0's ocsp -port takes a port number only)
(cd "$run/pki" && exec openssl ocsp -index db/index.txt -port "$ocsp_port" \
    -rsigner ocsp-signer.pem -rkey ocsp-signer.key -CA int.pem -nmin 60 \
    >"$run/ocsp.log" 2>&1) &
echo $! > "$run/ocsp.pid"

say apache2 -t -d "$run" -f "$run/httpd.conf"
"$httpd" -t -d "$run" -f "$run/httpd.conf" 2>&1 | sed 's/^/    /'
if ! "$httpd" -d "$run" -f "$run/httpd.conf" -k start; then
    echo "httpd did not start; its error log says:" >&2
    tail -n 20 "$run/error.log" >&2
    stop_demo
    exit 1
fi

# the first probe round comes about a second after start
i=0
until "$lint" probe --no-responder --sni good.test "127.0.0.1:$https_port" >/dev/null 2>&1 \
      && curl -fs "http://127.0.0.1:$http_port/ocsp-status?auto" | grep -q '^OcspAudit\[0\]CheckedAt: .\+'; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
        echo "the first probe round did not come within 10 s; see $run/error.log" >&2
        break
    fi
    sleep 0.1
done

say "what the module logged at start (grep OA0 $run/error.log)"
grep -E 'OA0' "$run/error.log" | sed 's/^\[[^]]*\] //' | cut -c1-220 | sed 's/^/    /'

say ocsp-lint probe --sni good.test 127.0.0.1:$https_port
"$lint" probe --sni good.test "127.0.0.1:$https_port" || true

say curl "http://127.0.0.1:$http_port/ocsp-status?auto"
curl -fs "http://127.0.0.1:$http_port/ocsp-status?auto"

cat <<EOF

The demo server is running:
    status page   http://127.0.0.1:$http_port/ocsp-status   (also ?json, ?prometheus, ?auto)
    server-status http://127.0.0.1:$http_port/server-status
    TLS vhosts    127.0.0.1:$https_port (SNI good.test, nochain.test, noocsp.test)
    OCSP responder http://127.0.0.1:$ocsp_port/
Stop it with: tools/demo.sh stop
EOF
