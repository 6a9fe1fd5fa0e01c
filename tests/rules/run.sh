#!/bin/sh
# Runs the rule tests (tests/rules/run.py) for automake's TESTS or by hand.
# Environment: PYTHON3 (default /usr/bin/python3), top_srcdir (default: two levels up),
# OCSP_LINT (default: $top_builddir/lint/ocsp-lint when top_builddir is set and it exists,
# else run.py's default /work/build/lint/ocsp-lint); arguments are passed to run.py
# (e.g. --httpd, -v, or folders/cases to run).
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
py=${PYTHON3:-/usr/bin/python3}
if ! command -v "$py" >/dev/null 2>&1; then
    echo "FAIL: $py not found (set PYTHON3)"
    exit 1
fi
top_srcdir=$top
export top_srcdir
if [ -z "${OCSP_LINT:-}" ] && [ -n "${top_builddir:-}" ] && [ -x "$top_builddir/lint/ocsp-lint" ]; then
    OCSP_LINT=$top_builddir/lint/ocsp-lint
    export OCSP_LINT
fi
exec "$py" "$top/tests/rules/run.py" "$@"
