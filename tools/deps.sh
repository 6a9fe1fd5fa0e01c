#!/bin/sh
# deps.sh [test]: install the Debian packages the build (and with "test", the test
# suite) needs; only what is missing, so a second run does nothing.
set -eu

pkgs="gcc make autoconf automake libtool pkg-config apache2 apache2-dev libapr1-dev
      libaprutil1-dev libssl-dev libmicrohttpd-dev openssl check curl"
if [ "${1:-}" = test ]; then
    # clang + compiler-rt: the fuzz targets; testssl.sh: the peer cross-check of probe;
    # prometheus: promtool for the metrics page; chromium: the status page in a browser;
    # python3-jsonschema: docs/schema/*.json on every JSON output; python3-yaml: docs/ci/ jobs
    pkgs="$pkgs python3 python3-pytest python3-jsonschema python3-yaml clang libclang-rt-14-dev time testssl.sh prometheus chromium"
    # the Debian packages' test: build them (dpkg-dev, debhelper; dh-apache2 is in
    # apache2-dev), check them, clone the repository, read the man pages
    pkgs="$pkgs dpkg-dev debhelper fakeroot lintian git man-db"
    # npm fetches Microsoft's SARIF validator; use the machine's npm when there is one
    command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
fi

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "deps.sh: these Debian packages are missing and I am not root:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing
