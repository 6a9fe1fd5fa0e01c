#!/bin/sh
# fuzz.sh [SECONDS]: build the libFuzzer targets in tests/fuzz with clang (ASan + UBSan)
# and run each for SECONDS (default 60) from a seed corpus made of the project's own
# configs and test certificates. Fails on any crash, leak or sanitizer report.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
out=$top/build/fuzz
mkdir -p "$out"

cflags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 -I$top/core $(apr-1-config --cppflags --includes) $(apu-1-config --includes) \
 $(pkg-config --cflags openssl) -DOA_VERSION=\"fuzz\""
libs="$(apu-1-config --link-ld) $(apr-1-config --link-ld --libs) $(pkg-config --libs openssl)"
core=$(ls "$top"/core/*.c)

for t in conf pem; do
    # shellcheck disable=SC2086
    clang $cflags -o "$out/fuzz_$t" "$top/tests/fuzz/fuzz_$t.c" $core $libs
done

# seed corpora
rm -rf "$out/corpus_conf" "$out/corpus_pem" "$out/pki"
mkdir -p "$out/corpus_conf" "$out/corpus_pem"
find "$top/docs/examples" "$top/tests/integration/trees" -name '*.conf' -type f \
    -exec cp {} "$out/corpus_conf/" \; 2>/dev/null || true
sh "$top/tools/make-test-pki.sh" "$out/pki" http://127.0.0.1:9/ >/dev/null
cp "$out"/pki/*.pem "$out"/pki/*.key "$out/corpus_pem/"

for t in conf pem; do
    echo "== fuzz_$t for ${secs}s"
    (cd "$out" && ASAN_OPTIONS=detect_leaks=1 ./"fuzz_$t" -max_total_time="$secs" -max_len=65536 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "corpus_$t" 2>&1 | tail -n 12)
done
