#!/bin/sh
# install-sarif-validator.sh DIR
#
# Installs Microsoft's SARIF validator (the SARIF Multitool, npm package
# @microsoft/sarif-multitool) into DIR with npm and prints the path of its executable.
# Idempotent: when DIR already holds a working copy of the wanted version nothing is
# downloaded. Quiet: only the path goes to stdout; npm's output goes to DIR/npm-install.log
# and is shown (on stderr) only when something fails. Exits non-zero with a message
# saying why when it cannot install or run the tool.
#
# The npm package is a small wrapper; the tool itself comes in the optional dependency
# @microsoft/sarif-multitool-linux (about 100 MB): a self-contained .NET executable,
# Sarif.Multitool, for x86-64 Linux with glibc. It needs no .NET installation and no
# network when it runs (the SARIF 2.1.0 schema is built in). Run it as
#   DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 Sarif.Multitool validate IN.sarif \
#       -o OUT.sarif --log ForceOverwrite
# It exits 0 even when IN.sarif is invalid: the findings are the results of OUT.sarif
# (and the "FILE(LINE,COL): error JSON1008: ..." lines on stdout).
#
# Environment: SARIF_MULTITOOL_VERSION (default 5.7.0), NPM (default npm).
set -eu

dir=${1:?usage: install-sarif-validator.sh DIR}
version=${SARIF_MULTITOOL_VERSION:-5.7.0}
npm=${NPM:-npm}

die() {
    echo "install-sarif-validator.sh: $*" >&2
    exit 1
}

case "$(uname -s)/$(uname -m)" in
    Linux/x86_64 | Linux/amd64) ;;
    *) die "the npm package ships its Linux executable for x86-64 only; this is $(uname -s)/$(uname -m)" ;;
esac

mkdir -p "$dir" || die "cannot create $dir"
dir=$(cd "$dir" && pwd)
pkg="$dir/node_modules/@microsoft/sarif-multitool-linux"
exe="$pkg/Sarif.Multitool"
log="$dir/npm-install.log"

# what the copy in DIR says about itself: "SARIF Multitool 5.7.0+<commit>"
installed_version() {
    [ -f "$exe" ] || return 1
    # (it prints its version on stderr)
    DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$exe" --version 2>&1 \
        | sed -n 's/^SARIF Multitool \([0-9][0-9.]*\).*/\1/p' | head -n 1
}

if [ "$(installed_version || true)" = "$version" ]; then
    echo "$exe"
    exit 0
fi

command -v "$npm" >/dev/null 2>&1 || die "npm not found (Debian: apt-get install npm)"

# --prefix DIR without a package.json: npm installs into DIR/node_modules and, with
# --no-save, writes neither package.json nor a lock file. --prefix also moves npm's global
# config file to DIR/etc/npmrc, which would lose the machine's settings (cafile, proxy,
# registry): keep the one npm uses without --prefix. The platform package is an optional
# dependency: npm skips it silently when it fails, so the result is checked below.
globalconfig=$("$npm" config get globalconfig 2>/dev/null) || globalconfig=
if ! "$npm" install --prefix "$dir" ${globalconfig:+--globalconfig "$globalconfig"} \
        --no-save --no-package-lock --no-audit --no-fund \
        --loglevel=error "@microsoft/sarif-multitool@$version" >"$log" 2>&1; then
    cat "$log" >&2
    die "npm install @microsoft/sarif-multitool@$version into $dir failed (log: $log)"
fi

[ -f "$exe" ] || {
    cat "$log" >&2
    die "npm did not install @microsoft/sarif-multitool-linux (the optional dependency that holds the executable); expected $exe"
}
# The package's postinstall only does this; npm may not run install scripts.
chmod u+x "$exe" || die "cannot make $exe executable"

got=$(installed_version || true)
if [ "$got" != "$version" ]; then
    DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$exe" --version >&2 || true
    die "$exe does not run or is not version $version (it says '${got:-nothing}')"
fi
echo "$exe"
