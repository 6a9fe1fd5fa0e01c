#!/bin/sh
# build.sh BUILDDIR [configure args...]: configure (once) and build out of tree.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:?usage: build.sh BUILDDIR [configure args]}
shift

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    autoreconf -fi
fi
mkdir -p "$builddir"
cd "$builddir"
args="$*"
if [ ! -f Makefile ] || [ "$(cat .oa-configure-args 2>/dev/null)" != "$args" ]; then
    # shellcheck disable=SC2086
    "$top/configure" $args
    echo "$args" > .oa-configure-args
fi
make -j"$(nproc)"
