#!/bin/sh
# fuzz.sh [SECONDS [TARGET...]]: build the libFuzzer targets in tests/fuzz with clang
# (ASan + UBSan) and run each for SECONDS (default 15; about two minutes for all seven)
# from a seed corpus made of the project's own configs, rule cases, test certificates
# and OCSP responses. Fails on any crash, leak, timeout or sanitizer report.
#   conf      the configuration reader (Include too, confined) and the vhost model
#   rules     every rule over a parsed configuration, findings in every format
#   pem       PEM decoding and the X.509 facts the rules read
#   ocsp      OCSP responses, the status record and all its renderings
#   envvars   Debian's envvars and ${VAR} in a configuration
#   suppress  "# ocsp-lint: disable=" comments
#   target    probe targets (HOST[:PORT]) and the text escaping
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-15}
[ $# -gt 0 ] && shift
targets=${*:-conf rules pem ocsp envvars suppress target}
out=$top/build/fuzz
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$out/obj"

cflags="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
 -I$top/core $(apr-1-config --cppflags --includes) $(apu-1-config --includes) \
 $(pkg-config --cflags openssl) -DOA_VERSION=\"fuzz\""
libs="$(apu-1-config --link-ld) $(apr-1-config --link-ld --libs) $(pkg-config --libs openssl)"

# core once (make keeps what is up to date), then one link per target
headers=$(ls "$top"/core/*.h "$top"/core/*.inc | tr '\n' ' ')
{
    printf 'all:'
    for c in "$top"/core/*.c; do printf ' %s' "$(basename "${c%.c}").o"; done
    printf '\n'
    for c in "$top"/core/*.c; do
        o=$(basename "${c%.c}").o
        printf '%s: %s %s\n\tclang %s -c -o $@ %s\n' "$o" "$c" "$headers" "$cflags" "$c"
    done
} > "$out/obj/Makefile"
make -s -C "$out/obj" -j"$jobs"
objs=$(for c in "$top"/core/*.c; do printf '%s ' "$out/obj/$(basename "${c%.c}").o"; done)
for t in $targets; do
    # shellcheck disable=SC2086
    clang $cflags -fsanitize=fuzzer -o "$out/fuzz_$t" "$top/tests/fuzz/fuzz_$t.c" \
        $objs $libs
done

# the test PKI (the ocsp, rules and conf targets read it) and the seed corpora
rm -rf "$out/pki" "$out"/corpus_*
sh "$top/tools/make-test-pki.sh" "$out/pki" http://127.0.0.1:9/ >/dev/null
for t in $targets; do mkdir -p "$out/corpus_$t"; done
seed_confs() {
    find "$top/docs/examples" "$top/tests/integration/trees" "$top/tests/rules" -name '*.conf' \
        -type f | while read -r f; do
        sed -e 's|${OA_TEST_PKI}|pki|g' -e 's|${OA_TEST_RUN}|run|g' -e 's|${OA_TEST_PORT}|443|g' \
            "$f" > "$1/$(echo "$f" | cksum | cut -d' ' -f1).conf"
    done
}
for t in $targets; do
    case $t in
    conf|rules) seed_confs "$out/corpus_$t" ;;
    pem) cp "$out"/pki/*.pem "$out"/pki/*.key "$out/corpus_pem/" ;;
    envvars)
        cp "$top/docs/examples/debian/envvars" "$out/corpus_envvars/debian"
        if [ -f /etc/apache2/envvars ]; then
            cp /etc/apache2/envvars "$out/corpus_envvars/system"
        fi ;;
    suppress)
        grep -rl "ocsp-lint: disable" "$top/tests/rules" | head -20 | while read -r f; do
            cp "$f" "$out/corpus_suppress/$(echo "$f" | cksum | cut -d' ' -f1)"
        done ;;
    target)
        for s in example.com www.example.com:8443 '[::1]:443' ::1 127.0.0.1:443 'h:0' '[x' \
                 "$(printf 'a\033[31m\nb')"; do
            printf '%s' "$s" > "$out/corpus_target/$(printf '%s' "$s" | cksum | cut -d' ' -f1)"
        done ;;
    ocsp)
        # real responses for good.test (good), revoked.test and an unknown one, signed by
        # the delegated signer, with a flags byte and a peer string in front
        (cd "$out/pki" && for leaf in good revoked other; do
            openssl ocsp -issuer int.pem -cert "$leaf.pem" -no_nonce -reqout "req-$leaf.der" \
                >/dev/null 2>&1 || continue
            openssl ocsp -index db/index.txt -rsigner ocsp-signer.pem -rkey ocsp-signer.key \
                -CA int.pem -reqin "req-$leaf.der" -respout "resp-$leaf.der" -nmin 5 \
                >/dev/null 2>&1 || continue
            { printf '\000\007reason!'; cat "resp-$leaf.der"; } > "$out/corpus_ocsp/$leaf"
            { printf '\377\004\033[1m'; cat "resp-$leaf.der"; } > "$out/corpus_ocsp/$leaf-flags"
        done)
        printf '\000\000\060\003\012\001\003' > "$out/corpus_ocsp/trylater" ;;
    esac
done

status=0
for t in $targets; do
    echo "== fuzz_$t for ${secs}s"
    if ! (cd "$out" && OA_FUZZ_PKI="$out/pki" ASAN_OPTIONS=detect_leaks=1 \
          ./"fuzz_$t" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
          -print_final_stats=1 -artifact_prefix="$out/crash-$t-" "corpus_$t" \
          > "$out/fuzz_$t.log" 2>&1); then
        tail -n 60 "$out/fuzz_$t.log"
        echo "FAIL: fuzz_$t (reproduce: $out/fuzz_$t $out/crash-$t-*)"
        status=1
    else
        grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' \
            "$out/fuzz_$t.log" || tail -n 3 "$out/fuzz_$t.log"
    fi
done
exit $status
