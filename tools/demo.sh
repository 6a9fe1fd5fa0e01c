#!/bin/sh
# demo.sh: install what is needed, build, and run the main job on the bundled examples.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build/demo

"$top/tools/deps.sh"
"$top/tools/build.sh" "$build" >/dev/null
lint=$build/lint/ocsp-lint

# the examples name certificates below pki/: a test PKI made with openssl
for ex in debian rhel; do
    pki=$top/docs/examples/$ex/pki
    [ -f "$pki/good.pem" ] || "$top/tools/make-test-pki.sh" "$pki" http://127.0.0.1:8888/ >/dev/null
done

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
ex=$top/docs/examples

say ocsp-lint --vhosts -d docs/examples/debian docs/examples/debian/apache2.conf
"$lint" --vhosts -d "$ex/debian" "$ex/debian/apache2.conf"

say ocsp-lint --vhosts docs/examples/rhel/conf/httpd.conf
"$lint" --vhosts "$ex/rhel/conf/httpd.conf"

say ocsp-lint -d docs/examples/debian docs/examples/debian/apache2.conf
rc=0
"$lint" -d "$ex/debian" "$ex/debian/apache2.conf" || rc=$?
echo "(exit code $rc)"
