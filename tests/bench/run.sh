#!/bin/bash
# Benchmark: ocsp-lint against httpd's own config test on a big generated configuration.
#
#   tests/bench/run.sh [N_VHOSTS=10000] [N_FILES=100]
#
# Environment: OCSP_LINT (default /work/build/lint/ocsp-lint, else lint/ocsp-lint in
# $BUILD_DIR), HTTPD (default /usr/sbin/apache2), HTTPD_MODULES (default
# /usr/lib/apache2/modules), PYTHON3 (default /usr/bin/python3), RUNS (default 3),
# SCALE (the vhost counts of the scaling check, default "1000 5000 10000"),
# BENCH_NO_GNU_TIME=1 (read /proc instead of using GNU time, to test that path).
#
# Everything happens in a temporary directory that is removed at exit. Nothing listens
# and nothing is started in the background: `httpd -t` and `httpd -S` only read the
# configuration and exit. Exits non-zero when any command fails.
# See README.md beside this file.

set -euo pipefail

N_VHOSTS=${1:-10000}
N_FILES=${2:-100}
RUNS=${RUNS:-3}
SCALE=${SCALE:-"1000 5000 10000"}

here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON3:-/usr/bin/python3}
HTTPD=${HTTPD:-/usr/sbin/apache2}
MODULES=${HTTPD_MODULES:-/usr/lib/apache2/modules}
if [ -z "${OCSP_LINT:-}" ]; then
    OCSP_LINT=/work/build/lint/ocsp-lint
    [ -x "$OCSP_LINT" ] || OCSP_LINT=${BUILD_DIR:-.}/lint/ocsp-lint
fi

die() { echo "run.sh: $*" >&2; exit 1; }

case $N_VHOSTS in ''|*[!0-9]*) die "N_VHOSTS must be a number, not '$N_VHOSTS'";; esac
case $N_FILES in ''|*[!0-9]*) die "N_FILES must be a number, not '$N_FILES'";; esac
case $RUNS in ''|*[!0-9]*|0) die "RUNS must be a positive number";; esac
[ "$N_VHOSTS" -ge 1 ] && [ "$N_FILES" -ge 1 ] || die "N_VHOSTS and N_FILES must be >= 1"
[ -x "$OCSP_LINT" ] || die "ocsp-lint not found at $OCSP_LINT (set OCSP_LINT)"
[ -x "$HTTPD" ] || die "httpd not found at $HTTPD (set HTTPD)"
[ -x "$PY" ] || die "python3 not found at $PY (set PYTHON3)"
command -v openssl >/dev/null || die "openssl is needed to make the test certificates"

# Peak RSS: GNU time's %M when /usr/bin/time is GNU time (Debian package "time"), else
# VmHWM read from /proc while the command runs (see run_once).
if [ -z "${BENCH_NO_GNU_TIME:-}" ] && [ -x /usr/bin/time ] && /usr/bin/time -f '%e %M' -o /dev/null true 2>/dev/null; then
    MEM_METHOD="GNU time (/usr/bin/time -f '%e %M %U %S'): peak RSS = %M, cpu = %U + %S"
else
    MEM_METHOD="VmHWM polled from /proc/PID/status every few ms (GNU time missing: apt-get install time); wall and cpu times are less exact"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ocsp-lint-bench.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C LC_ALL=C)

# run_once OUT ERR CMD... -> "WALL_S MAXRSS_KB CPU_S" on stdout; fails when CMD fails.
# Wall time is taken around the command with date +%s%N (GNU time's %e has only 10 ms
# resolution); the ~1 ms that starting /usr/bin/time costs is included.
run_once() {
    local out=$1 err=$2; shift 2
    local t0 t1 rc=0 mem cpu=-1
    if [ "${MEM_METHOD#GNU}" != "$MEM_METHOD" ]; then
        t0=$(date +%s%N)
        /usr/bin/time -f '%e %M %U %S' -o "$tmp/time.out" "${ENV[@]}" "$@" >"$out" 2>"$err" || rc=$?
        t1=$(date +%s%N)
        mem=$(awk 'END { print $2 }' "$tmp/time.out")
        cpu=$(awk 'END { print $3 + $4 }' "$tmp/time.out")
    else
        # No GNU time: poll VmHWM (the peak RSS of the process's own memory, reset by
        # exec) in /proc/PID/status, and its CPU times in /proc/PID/stat, until it is
        # gone (bash reaps it at once); the last values read are taken.
        local pid st v hz
        hz=$(getconf CLK_TCK)
        t0=$(date +%s%N)
        "${ENV[@]}" "$@" >"$out" 2>"$err" &
        pid=$!
        mem=0
        while st=$(cat "/proc/$pid/status" 2>/dev/null) && [ -n "$st" ]; do
            v=$(printf '%s\n' "$st" | awk '/^VmHWM:/ { print $2 }')
            [ -n "$v" ] && mem=$v
            # utime and stime are fields 14 and 15; drop "PID (COMM) " first
            v=$(awk -v hz="$hz" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' \
                "/proc/$pid/stat" 2>/dev/null) && [ -n "$v" ] && cpu=$v
            sleep 0.002
        done
        wait "$pid" || rc=$?
        t1=$(date +%s%N)
    fi
    if [ "$rc" -ne 0 ]; then
        echo "run.sh: command failed (exit $rc): $*" >&2
        head -c 2000 "$err" >&2
        exit 1
    fi
    awk -v a="$t0" -v b="$t1" -v m="$mem" -v c="$cpu" \
        'BEGIN { printf "%.4f %d %.2f\n", (b - a) / 1e9, m, c }'
}

# measure NAME OUT CMD... : RUNS runs; sets MED_T (wall s), MED_M (KB) and MED_C (CPU s,
# user + system) to the medians and appends a row to the results table.
ROWS=()
measure() {
    local name=$1 out=$2; shift 2
    local i ts=() ms=() cs=() r
    for ((i = 0; i < RUNS; i++)); do
        r=$(run_once "$out" "$tmp/err" "$@")
        ts+=("$(echo "$r" | awk '{ print $1 }')")
        ms+=("$(echo "$r" | awk '{ print $2 }')")
        cs+=("$(echo "$r" | awk '{ print $3 }')")
    done
    MED_T=$(printf '%s\n' "${ts[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    MED_M=$(printf '%s\n' "${ms[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    MED_C=$(printf '%s\n' "${cs[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    ROWS+=("$(printf '%-44s %9.3f %8.2f %11.1f   %s' "$name" "$MED_T" "$MED_C" \
              "$(awk -v m="$MED_M" 'BEGIN { print m / 1024 }')" "${ts[*]}")")
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "== ocsp-lint benchmark: $N_VHOSTS SSL vhosts in $N_FILES files, median of $RUNS runs"
echo "machine:   $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo '?'), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "httpd:     $HTTPD ($("$HTTPD" -v 2>/dev/null | sed -n 's/^Server version: //p'))"
echo "ocsp-lint: $OCSP_LINT ($("$OCSP_LINT" --version 2>/dev/null | head -n 1))"
echo "memory:    $MEM_METHOD"
echo

# ---------------------------------------------------------------- the configuration
t0=$(date +%s%N)
"$PY" "$here/gen_config.py" --out "$tmp/conf" --vhosts "$N_VHOSTS" --files "$N_FILES" \
    --certs-dir "$tmp/certs" --modules "$MODULES"
t1=$(date +%s%N)
echo "generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s (certificates included)"
D=$tmp/conf
C=$D/main.conf

# Sanity first (untimed): httpd accepts it, both list every vhost, ocsp-lint is clean.
"${ENV[@]}" "$HTTPD" -t -d "$D" -f "$C" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; die "httpd -t refuses the generated config"; }
grep -q "Syntax OK" "$tmp/out" || { cat "$tmp/out" >&2; die "httpd -t did not say Syntax OK"; }
"${ENV[@]}" "$HTTPD" -S -d "$D" -f "$C" >"$tmp/dump" 2>&1 || { cat "$tmp/dump" >&2; die "httpd -S failed"; }
n_httpd=$(grep -c ' namevhost v[0-9]*\.bench\.test ' "$tmp/dump" || true)
"${ENV[@]}" "$OCSP_LINT" --no-envvars --vhosts --format json -d "$D" "$C" >"$tmp/inv.json" 2>"$tmp/err" || { cat "$tmp/err" >&2; die "ocsp-lint --vhosts failed"; }
n_lint=$("$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(sum(1 for v in d["vhosts"] if not v.get("main_server")))' "$tmp/inv.json")
[ "$n_httpd" -eq "$N_VHOSTS" ] || die "httpd -S lists $n_httpd vhosts, expected $N_VHOSTS"
[ "$n_lint" -eq "$N_VHOSTS" ] || die "ocsp-lint --vhosts lists $n_lint vhosts, expected $N_VHOSTS"
echo "httpd -t: Syntax OK; httpd -S and ocsp-lint --vhosts both list $N_VHOSTS vhosts"
echo

# ---------------------------------------------------------------- the comparison
measure "apache2 -t -d DIR -f DIR/main.conf" /dev/null "$HTTPD" -t -d "$D" -f "$C"
T_HTTPD=$MED_T M_HTTPD=$MED_M C_HTTPD=$MED_C
measure "apache2 -S -d DIR -f DIR/main.conf" /dev/null "$HTTPD" -S -d "$D" -f "$C"
T_DUMP=$MED_T M_DUMP=$MED_M C_DUMP=$MED_C
measure "ocsp-lint -d DIR DIR/main.conf --no-envvars" "$tmp/lint.out" \
    "$OCSP_LINT" -d "$D" "$C" --no-envvars
T_LINT=$MED_T M_LINT=$MED_M C_LINT=$MED_C
measure "ocsp-lint --vhosts --format json" /dev/null \
    "$OCSP_LINT" --vhosts --format json -d "$D" "$C" --no-envvars
T_INV=$MED_T M_INV=$MED_M C_INV=$MED_C

printf '%-44s %9s %8s %11s   %s\n' "command ($N_VHOSTS vhosts)" "wall s" "cpu s" "peak RSS MB" \
    "wall s of each run"
printf '%s\n' "${ROWS[@]}"
echo
echo "summary of ocsp-lint: $(tail -n 1 "$tmp/lint.out")"
echo "ratio time   ocsp-lint / apache2 -t:            $(ratio "$T_LINT" "$T_HTTPD") (cpu time: $(ratio "$C_LINT" "$C_HTTPD"))"
echo "ratio memory ocsp-lint / apache2 -t:            $(ratio "$M_LINT" "$M_HTTPD")"
echo "ratio time   ocsp-lint --vhosts / apache2 -S:   $(ratio "$T_INV" "$T_DUMP") (cpu time: $(ratio "$C_INV" "$C_DUMP"))"
echo "ratio memory ocsp-lint --vhosts / apache2 -S:   $(ratio "$M_INV" "$M_DUMP")"
echo

# ---------------------------------------------------------------- scaling
echo "== scaling of ocsp-lint ($N_FILES files each, median of $RUNS runs)"
printf '%8s  %9s %12s %9s   %9s %12s %9s\n' "vhosts" "lint s" "us/vhost" "RSS MB" \
    "--vhosts s" "us/vhost" "RSS MB"
for n in $SCALE; do
    case $n in ''|*[!0-9]*) die "SCALE holds '$n', not a number";; esac
    "$PY" "$here/gen_config.py" --out "$tmp/scale-$n" --vhosts "$n" --files "$N_FILES" \
        --certs-dir "$tmp/certs" --modules "$MODULES" >/dev/null
    ROWS=()
    measure "lint $n" /dev/null "$OCSP_LINT" -d "$tmp/scale-$n" "$tmp/scale-$n/main.conf" --no-envvars
    lt=$MED_T lm=$MED_M
    measure "vhosts $n" /dev/null "$OCSP_LINT" --vhosts --format json -d "$tmp/scale-$n" \
        "$tmp/scale-$n/main.conf" --no-envvars
    vt=$MED_T vm=$MED_M
    awk -v n="$n" -v lt="$lt" -v lm="$lm" -v vt="$vt" -v vm="$vm" 'BEGIN {
        printf "%8d  %9.3f %12.1f %9.1f   %9.3f %12.1f %9.1f\n",
               n, lt, lt * 1e6 / n, lm / 1024, vt, vt * 1e6 / n, vm / 1024 }'
    rm -rf "$tmp/scale-$n"
done
echo
echo "done; $tmp removed at exit"
