#!/bin/sh
# test.sh: install what the tests need, build with -Werror, run every test (unit,
# layering, integration against the real apache2), then the same core under ASan+UBSan.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

"$top/tools/deps.sh" test

echo "== build (-Werror) and make check"
"$top/tools/build.sh" "$top/build/ci" --enable-werror
make -C "$top/build/ci" check || { cat "$top"/build/ci/tests/*.log "$top"/build/ci/tests/*/*.log 2>/dev/null | tail -200; exit 1; }

echo "== sanitizer build (ASan + UBSan): unit tests, rule cases and the linter's bad-input tests"
"$top/tools/build.sh" "$top/build/san" --enable-werror --enable-sanitizers
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
OA_PYTEST_ARGS="-k bad_input" \
make -C "$top/build/san" check \
    TESTS="tests/unit/test_conf tests/unit/test_conf_check tests/unit/test_vhost tests/unit/test_envvars tests/unit/test_json \
           tests/unit/test_pki tests/unit/test_audit tests/unit/test_status tests/unit/test_ocsp \
           tests/unit/test_verdict tests/unit/test_text tests/unit/test_crl tests/unit/test_names \
           tests/rules/run.sh tests/integration/run.sh" \
    || { cat "$top"/build/san/tests/*/*.log 2>/dev/null | tail -200; exit 1; }
echo "== the sanitizer build of the module in the real apache2: CRLs, the verdict, the page"
# httpd is not built with ASan: the runtime is preloaded into it (OA_HTTPD_PRELOAD, see
# tests/integration/httpd.py); a report is written to a file, and any file fails the stage
asan_dir=$(mktemp -d)
chmod 1777 "$asan_dir"     # the children run as www-data
OA_HTTPD_PRELOAD=$(gcc -print-file-name=libasan.so) \
OA_HTTPD_ASAN_OPTIONS="detect_leaks=0:log_path=$asan_dir/asan" \
OA_PYTEST_K="test_crl or test_one_verdict or test_status_page" \
make -C "$top/build/san" check TESTS="tests/integration/run.sh" \
    || { cat "$top"/build/san/tests/integration/*.log 2>/dev/null | tail -200; rm -rf "$asan_dir"; exit 1; }
if ls "$asan_dir"/asan.* >/dev/null 2>&1; then
    cat "$asan_dir"/asan.*
    rm -rf "$asan_dir"
    echo "FAIL: AddressSanitizer reports from httpd with the module"
    exit 1
fi
rm -rf "$asan_dir"

echo "== fuzzing (libFuzzer, seven targets, ${OA_FUZZ_SECONDS:-15}s each: see tools/fuzz.sh)"
"$top/tools/fuzz.sh" "${OA_FUZZ_SECONDS:-15}"

echo "all tests passed"
