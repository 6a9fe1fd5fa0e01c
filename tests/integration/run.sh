#!/bin/sh
# Runs the pytest integration suite against the real apache2 (Debian's python3-pytest).
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
py=${PYTHON3:-/usr/bin/python3}
if ! "$py" -c 'import pytest' 2>/dev/null; then
    echo "FAIL: pytest is missing for $py (Debian: apt-get install python3-pytest)"
    exit 1
fi
cd "$top/tests/integration" || exit 1
"$py" -m pytest -q -p no:cacheprovider ${OA_PYTEST_ARGS:-} ${OA_PYTEST_K:+-k "$OA_PYTEST_K"} .
rc=$?
# pytest's 5 means no test ran: that is a failure here
[ $rc -eq 5 ] && { echo "FAIL: no integration test ran"; exit 1; }
exit $rc
