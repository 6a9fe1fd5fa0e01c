#!/usr/bin/env bash
# gen-directives.sh - generate core/oa_directives.inc from the installed httpd.
#
# The table of modules (LoadModule symbol -> module file name) and of the
# directives each module registers is read from the real server, not written
# by hand:
#
#   1. Every module in the module directory is listed with its LoadModule
#      symbol (from Debian's mods-available/*.load, or from the .so's dynamic
#      symbol table when there is no .load file) and its "# Depends:".
#   2. Once per MPM (event, worker, prefork), a throw-away config in a mktemp
#      directory loads that MPM plus every other module (dependencies first)
#      and mod_info, listens on a free 127.0.0.1 port, and httpd is started in
#      the foreground (in the background of this script).  /server-info gives
#      every loaded module's name (module->name, e.g. "mod_ssl.c") and the
#      directives it registers; the server is then stopped (always: trap).
#   3. mod_info does not print module symbols, so a second config, checked
#      with "httpd -t -D DUMP_RUN_CFG", loads the same modules one by one and
#      after each LoadModule tests <IfModule NAME> for every name mod_info
#      reported: the name that first becomes true after "LoadModule ID ..." is
#      the name of module ID.  Built-in modules are matched by zipping
#      "httpd -l" with the "(static)" lines of "httpd -t -D DUMP_MODULES",
#      which list the same prelinked table in the same order.
#      A third "-t" config checks that httpd's own <IfDirective>/<IfSection>
#      know every directive read from mod_info.
#   4. The runs are merged, checked (well-known directives present, plausible
#      total) and written, sorted, as OA_MODULE()/OA_DIRECTIVE() lines.  The
#      output file is only replaced when everything succeeded.
#
# mod_info does not show where each directive is allowed nor its arity: after this
# script, tools/probe-directives.py asks httpd that for every directive found here and
# writes core/oa_directive_rules.inc.
#
# Usage: tools/gen-directives.sh [-o FILE|-] [-m "event worker prefork"]
#   -o FILE  output file (default: core/oa_directives.inc in the directory
#            above this script); "-" writes to stdout.
#   -m LIST  MPMs to run (default: every mod_mpm_*.so found)
# Environment: HTTPD (default /usr/sbin/apache2), MODDIR (default
# /usr/lib/apache2/modules), MODS_AVAILABLE (default /etc/apache2/mods-available),
# RUN_USER / RUN_GROUP (default www-data, else nobody/nogroup), MIN_DIRECTIVES
# (sanity floor, default 400), KEEP_TMP=1 (keep the temporary directory).
# Must run as root (httpd switches to RUN_USER after binding).

set -euo pipefail
export LC_ALL=C

prog=${0##*/}
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$(cd "$script_dir/.." && pwd)/core/oa_directives.inc"
HTTPD=${HTTPD:-/usr/sbin/apache2}
MODDIR=${MODDIR:-/usr/lib/apache2/modules}
MODS_AVAILABLE=${MODS_AVAILABLE:-/etc/apache2/mods-available}
MIN_DIRECTIVES=${MIN_DIRECTIVES:-400}
mpm_list=""

die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
warn() { printf '%s: warning: %s\n' "$prog" "$*" >&2; }
note() { printf '%s: %s\n' "$prog" "$*" >&2; }

usage() {
    sed -n '/^# Usage:/,/^# Must run/s/^# \{0,1\}//p' "$0"
}

while getopts 'o:m:h' opt; do
    case $opt in
        o) out=$OPTARG ;;
        m) mpm_list=$OPTARG ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2; exit 2; }

[ -x "$HTTPD" ] || die "httpd binary not found: $HTTPD (set HTTPD=...)"
[ -d "$MODDIR" ] || die "module directory not found: $MODDIR (set MODDIR=...)"
[ "$(id -u)" -eq 0 ] || die "must run as root (httpd binds and switches user)"

if [ -z "${RUN_USER:-}" ]; then
    if id -u www-data >/dev/null 2>&1; then RUN_USER=www-data; else RUN_USER=nobody; fi
fi
if [ -z "${RUN_GROUP:-}" ]; then
    if getent group www-data >/dev/null 2>&1; then RUN_GROUP=www-data
    elif getent group nogroup >/dev/null 2>&1; then RUN_GROUP=nogroup
    else RUN_GROUP=nobody; fi
fi

# ---------------------------------------------------------------- cleanup
tmp=""
server_pid=""

stop_server() {
    local pid=$server_pid i
    [ -n "$pid" ] || return 0
    server_pid=""
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 150; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            warn "httpd (pid $pid) did not stop on SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    # Whatever is left of the group httpd led (its children, cgid daemon).
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    stop_server
    if [ -n "$tmp" ] && [ -d "$tmp" ]; then
        if [ -n "${KEEP_TMP:-}" ]; then note "temporary files kept in $tmp"
        else rm -rf -- "$tmp"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen-directives.XXXXXX")
# httpd's children run as RUN_USER; let them traverse the tree.
chmod 755 "$tmp"

# ---------------------------------------------------------------- module inventory
declare -A sym_of=()      # so basename -> LoadModule symbol
declare -A so_of_short=() # short name -> so basename
declare -A deps_of=()     # so basename -> "short short ..."

if [ -d "$MODS_AVAILABLE" ]; then
    for load in "$MODS_AVAILABLE"/*.load; do
        [ -e "$load" ] || continue
        short=$(basename "$load" .load)
        deps=""
        lm_sym=""
        lm_path=""
        while read -r w1 w2 w3 rest; do
            if [ "$w1" = "#" ] && [ "$w2" = "Depends:" ]; then
                deps="$deps $w3 $rest"
            elif [ "$w1" = "LoadModule" ]; then
                lm_sym=$w2
                lm_path=$w3
            fi
        done <"$load"
        [ -n "$lm_sym" ] || continue
        so=$(basename "$lm_path")
        sym_of[$so]=$lm_sym
        so_of_short[$short]=$so
        read -r -a dep_words <<<"$deps" || true
        deps_of[$so]="${dep_words[*]}"
    done
else
    warn "$MODS_AVAILABLE not found: symbols from the .so files, no dependencies"
fi

# The module symbols a .so defines (data objects ending in _module).
so_symbols() {
    command -v nm >/dev/null 2>&1 || return 0
    nm -D --defined-only "$1" 2>/dev/null |
        awk 'NF == 3 && $2 ~ /^[BbDdRrVv]$/ && $3 ~ /_module$/ { print $3 }'
}

all_so=()
mpm_so=()
for path in "$MODDIR"/mod_*.so; do
    [ -e "$path" ] || continue
    so=${path##*/}
    syms=$(so_symbols "$path")
    if [ -z "${sym_of[$so]:-}" ]; then
        nsyms=$(printf '%s\n' "$syms" | grep -c . || true)
        if [ "$nsyms" -eq 1 ]; then
            sym_of[$so]=$syms
        else
            base=${so#mod_}
            sym_of[$so]=${base%.so}_module
            warn "$so: no .load file and no unique *_module symbol; guessing ${sym_of[$so]}"
        fi
        short=${sym_of[$so]%_module}
        so_of_short[$short]=$so
        deps_of[$so]=""
        note "$so has no .load file in $MODS_AVAILABLE; using symbol ${sym_of[$so]}"
    elif [ -n "$syms" ] && ! printf '%s\n' "$syms" | grep -qxF "${sym_of[$so]}"; then
        warn "$so: .load file names ${sym_of[$so]} but the .so defines: ${syms//$'\n'/ }"
    fi
    case $so in
        mod_mpm_*.so) mpm_so+=("$so") ;;
        *) all_so+=("$so") ;;
    esac
done
[ ${#all_so[@]} -gt 0 ] || die "no modules found in $MODDIR"
[ ${#mpm_so[@]} -gt 0 ] || die "no MPM modules (mod_mpm_*.so) found in $MODDIR"
[ -e "$MODDIR/mod_info.so" ] || die "mod_info.so not found in $MODDIR; it is needed"

# Load order: dependencies first (depth-first), otherwise by file name.
declare -A visit_state=()
ordered=()
visit() {
    local so=$1 dep dso
    case ${visit_state[$so]:-} in
        finished) return 0 ;;
        active) die "dependency cycle through $so" ;;
    esac
    visit_state[$so]=active
    for dep in ${deps_of[$so]:-}; do
        dso=${so_of_short[$dep]:-}
        if [ -z "$dso" ]; then
            warn "$so depends on '$dep', which has no module here; ignored"
            continue
        fi
        case $dso in mod_mpm_*.so) continue ;; esac
        visit "$dso"
    done
    visit_state[$so]=finished
    ordered+=("$so")
}
for so in "${all_so[@]}"; do visit "$so"; done

if [ -z "$mpm_list" ]; then
    for so in "${mpm_so[@]}"; do
        m=${so#mod_mpm_}
        mpm_list="$mpm_list ${m%.so}"
    done
fi

# ---------------------------------------------------------------- helpers
port_in_use() {
    local p=$1
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Htln "sport = :$p" 2>/dev/null)" ]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
    fi
}

pick_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if ! port_in_use "$p"; then
            echo "$p"
            return 0
        fi
    done
    die "no free port found on 127.0.0.1"
}

# fetch URL FILE
fetch() {
    local url=$1 file=$2 hostport path
    if command -v curl >/dev/null 2>&1; then
        curl -fsS --noproxy '*' --max-time 20 -o "$file" "$url" 2>/dev/null
    elif command -v wget >/dev/null 2>&1; then
        wget -q --no-proxy -T 20 -O "$file" "$url" 2>/dev/null
    else
        hostport=${url#http://}
        path=/${hostport#*/}
        hostport=${hostport%%/*}
        (
            exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}" || exit 1
            printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$hostport" >&3
            sed '1,/^\r\{0,1\}$/d' <&3 >"$file"
        ) 2>/dev/null && [ -s "$file" ]
    fi
}

# write_conf ROOT PORT MPM_SO LIST_FILE: the config loading the MPM and the modules listed
write_conf() {
    local root=$1 port=$2 mpm=$3 list=$4 so
    cat <<EOF
# Generated by $prog for a one-off run; deleted afterwards.
ServerRoot "$root"
DefaultRuntimeDir "$root/run"
PidFile "$root/run/httpd.pid"
ErrorLog "$root/logs/error.log"
LogLevel info
Listen 127.0.0.1:$port
ServerName 127.0.0.1
User $RUN_USER
Group $RUN_GROUP
DocumentRoot "$root/htdocs"
Mutex file:$root/run default
LoadModule ${sym_of[$mpm]} "$MODDIR/$mpm"
EOF
    while read -r so; do
        printf 'LoadModule %s "%s/%s"\n' "${sym_of[$so]}" "$MODDIR" "$so"
    done <"$list"
    cat <<EOF
<IfModule mod_mime.c>
TypesConfig "$root/mime.types"
</IfModule>
<IfModule mod_mime_magic.c>
MimeMagicFile "$root/magic"
</IfModule>
<Location "/server-info">
SetHandler server-info
Require ip 127.0.0.1
</Location>
EOF
}

# probe_conf CONF NAMES_FILE: CONF with, before the first LoadModule and after each
# one, a test of every module name; the first test that succeeds defines
# OAN_<name> to the symbol of the module just loaded ("-" for built-ins).
probe_conf() {
    awk -v names="$2" '
        BEGIN { n = 0; while ((getline l < names) > 0) if (l != "") nm[++n] = l }
        function probe(id,   i) {
            for (i = 1; i <= n; i++)
                printf "<IfModule %s>\n<IfDefine !OAN_%s>\nDefine OAN_%s %s\n</IfDefine>\n</IfModule>\n", nm[i], nm[i], nm[i], id
        }
        $1 == "LoadModule" { if (!seen++) probe("-"); print; probe($2); next }
        { print }
    ' "$1"
}

# parse_info HTML: "module-name<TAB>directive" lines (directive as httpd spells it)
parse_info() {
    sed -e 's/<dt>/\n&/g' -e 's/<dd>/\n&/g' -e 's/<\/dl>/\n&/g' "$1" |
    awk '
        function unescape(s) {
            gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s)
            gsub(/&quot;/, "\"", s); gsub(/&#39;/, "\047", s); gsub(/&amp;/, "\\&", s)
            return s
        }
        /^<dt><a name="[^"]*"><strong>Module Name:/ {
            s = $0; sub(/^<dt><a name="/, "", s); sub(/".*/, "", s)
            mod = unescape(s); indir = 0; mods++
            print mod "\t"
            next
        }
        /^<dt><strong>Module Directives:/ { if (mod != "") indir = 1; next }
        /^<dt>/ || /^<\/dl>/ { indir = 0; if (/^<\/dl>/) mod = ""; next }
        indir && /^<dd><tt>/ {
            s = $0; sub(/^<dd><tt>/, "", s)
            if (s ~ /^ *none<\/tt>/) next
            if (index(s, " - <i>") == 0) { print "unparsable directive line: " $0 > "/dev/stderr"; bad = 1; next }
            s = substr(s, 1, index(s, " - <i>") - 1)
            s = unescape(s)
            # mod_info shows sections as "<Name>"; httpd knows them as "<Name".
            if (s ~ /^</) sub(/>$/, "", s)
            print mod "\t" s
        }
        END { if (!mods) { print "no modules in the mod_info page" > "/dev/stderr"; exit 1 } if (bad) exit 1 }
    '
}

# run_mpm MPM: writes $tmp/MPM/{modules,directives}.tsv
run_mpm() {
    local mpm=$1 mpmfile=mod_mpm_$1.so root list conf attempt port so line i rc n_names n_mods
    root=$tmp/$mpm
    [ -e "$MODDIR/$mpmfile" ] || die "no such MPM: $MODDIR/$mpmfile"
    mkdir -p "$root/run" "$root/logs" "$root/htdocs"
    : >"$root/mime.types"
    : >"$root/magic"
    list=$root/load.list
    printf '%s\n' "${ordered[@]}" >"$list"
    conf=$root/httpd.conf

    # Drop modules httpd cannot load (and what depends on them), noting why.
    for ((i = 0; i < 50; i++)); do
        write_conf "$root" 1 "$mpmfile" "$list" >"$conf"
        if "$HTTPD" -d "$root" -f "$conf" -t >"$root/t.out" 2>&1; then
            break
        fi
        line=$(grep -o 'Cannot load [^ ]* into server' "$root/t.out" | head -n1 || true)
        [ -n "$line" ] || { cat "$root/t.out" >&2; die "[$mpm] httpd -t failed"; }
        so=${line#Cannot load }
        so=${so%% into server}
        so=${so##*/}
        warn "[$mpm] cannot load $so: $(grep -m1 'Cannot load' "$root/t.out" | sed 's/.*into server: //')"
        echo "$so" >>"$tmp/unloadable"
        drop_with_dependents "$so" "$list"
    done

    for ((attempt = 1; ; attempt++)); do
        port=$(pick_port)
        write_conf "$root" "$port" "$mpmfile" "$list" >"$conf"
        : >"$root/logs/error.log"
        # Own process group (job control on just for this): prefork signals its
        # whole process group when it stops, which must not include us.
        set -m
        "$HTTPD" -d "$root" -f "$conf" -DFOREGROUND >"$root/logs/stdout" 2>&1 &
        server_pid=$!
        set +m
        rc=1
        for ((i = 0; i < 300; i++)); do
            if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
            if fetch "http://127.0.0.1:$port/server-info" "$root/info.html"; then rc=0; break; fi
            sleep 0.1
        done
        if [ $rc -eq 0 ]; then
            fetch "http://127.0.0.1:$port/server-info?list" "$root/list.html" || true
            stop_server
            break
        fi
        stop_server
        if [ "$attempt" -lt 5 ] && grep -q 'Address already in use' "$root/logs/error.log" "$root/logs/stdout"; then
            warn "[$mpm] port $port taken; retrying"
            continue
        fi
        cat "$root/logs/stdout" "$root/logs/error.log" >&2
        die "[$mpm] httpd did not serve /server-info"
    done
    if grep -E '\[(emerg|alert|crit|error)\]|\[[a-z0-9_]+:(emerg|alert|crit|error)\]' "$root/logs/error.log" >"$root/errors" 2>/dev/null; then
        warn "[$mpm] httpd logged errors:"
        sed 's/^/    /' "$root/errors" >&2
    fi

    parse_info "$root/info.html" >"$root/info.tsv" || die "[$mpm] cannot parse the mod_info page"
    cut -f1 "$root/info.tsv" | sort -u >"$root/names"
    awk -F'\t' '$2 != ""' "$root/info.tsv" >"$root/dirs.tsv"
    n_names=$(wc -l <"$root/names")
    n_mods=$(grep -c $'\t$' "$root/info.tsv" || true)
    [ "$n_mods" -eq "$n_names" ] || die "[$mpm] mod_info lists a module name twice; ids would be ambiguous"

    # Module symbols: shared ones by incremental <IfModule> probing, built-ins by
    # zipping "httpd -l" with the static part of DUMP_MODULES.
    probe_conf "$conf" "$root/names" >"$root/probe.conf"
    "$HTTPD" -d "$root" -f "$root/probe.conf" -t -D DUMP_RUN_CFG >"$root/probe.out" 2>&1 ||
        { cat "$root/probe.out" >&2; die "[$mpm] probe config failed"; }
    "$HTTPD" -d "$root" -f "$conf" -t -D DUMP_MODULES >"$root/dump_modules" 2>&1 ||
        { cat "$root/dump_modules" >&2; die "[$mpm] DUMP_MODULES failed"; }
    "$HTTPD" -l | awk 'NR > 1 && NF == 1 { print $1 }' >"$root/static_names"
    awk '$2 == "(static)" { print $1 }' "$root/dump_modules" >"$root/static_ids"
    [ "$(wc -l <"$root/static_names")" -eq "$(wc -l <"$root/static_ids")" ] ||
        die "[$mpm] httpd -l and DUMP_MODULES disagree on the built-in modules"
    paste "$root/static_ids" "$root/static_names" >"$root/static.tsv"

    awk -F'\t' -v mpm="$mpm" '
        FILENAME == ARGV[1] { static[$2] = $1; next }
        FILENAME == ARGV[2] {
            if ($0 ~ /^Define: OAN_/) {
                s = substr($0, 13); eq = index(s, "=")
                id_of[substr(s, 1, eq - 1)] = substr(s, eq + 1)
            }
            next
        }
        {
            name = $0; id = id_of[name]
            if (id == "-") {
                if (!(name in static)) { printf "[%s] %s is built in but not in httpd -l\n", mpm, name > "/dev/stderr"; bad = 1; next }
                id = static[name]
            } else if (id == "") {
                printf "[%s] no LoadModule made <IfModule %s> true\n", mpm, name > "/dev/stderr"; bad = 1; next
            }
            print id "\t" name
        }
        END { exit bad }
    ' "$root/static.tsv" "$root/probe.out" "$root/names" >"$root/modules.tsv" ||
        die "[$mpm] cannot map module names to symbols"

    # Every module loaded (DUMP_MODULES) must have a name, and vice versa.
    awk 'NR > 1 && NF == 2 { print $1 }' "$root/dump_modules" | sort >"$root/ids.dump"
    cut -f1 "$root/modules.tsv" | sort >"$root/ids.map"
    cmp -s "$root/ids.dump" "$root/ids.map" || {
        diff "$root/ids.dump" "$root/ids.map" >&2 || true
        die "[$mpm] loaded modules and mod_info's module list differ"
    }
    # Cross-check: with the same modules loaded, httpd's own <IfDirective> and
    # <IfSection> must know every directive read from mod_info.
    {
        cat "$conf"
        awk -F'\t' '{
            if ($2 ~ /^</) printf "<IfSection !%s>\nDefine OAX_MISSING_%s\n</IfSection>\n", substr($2, 2), $2
            else printf "<IfDirective !%s>\nDefine OAX_MISSING_%s\n</IfDirective>\n", $2, $2
        }' "$root/dirs.tsv"
    } >"$root/check.conf"
    "$HTTPD" -d "$root" -f "$root/check.conf" -t -D DUMP_RUN_CFG >"$root/check.out" 2>&1 ||
        { cat "$root/check.out" >&2; die "[$mpm] directive check config failed"; }
    if grep '^Define: OAX_MISSING_' "$root/check.out" >&2; then
        die "[$mpm] httpd does not know directives mod_info listed (parse error?)"
    fi
    cp "$root/dirs.tsv" "$root/directives.tsv"
    note "[$mpm] $(wc -l <"$root/modules.tsv") modules, $(wc -l <"$root/directives.tsv") directives"
}

# drop_with_dependents SO LIST: remove SO and every module that depends on it
drop_with_dependents() {
    local so=$1 list=$2 other dep changed=1
    local -A gone=([$so]=1)
    while [ $changed -eq 1 ]; do
        changed=0
        while read -r other; do
            [ -z "${gone[$other]:-}" ] || continue
            for dep in ${deps_of[$other]:-}; do
                if [ -n "${gone[${so_of_short[$dep]:-none}]:-}" ]; then
                    gone[$other]=1
                    changed=1
                    warn "  also dropping $other (depends on $dep)"
                fi
            done
        done <"$list"
    done
    while read -r other; do
        [ -n "${gone[$other]:-}" ] || echo "$other"
    done <"$list" >"$list.new"
    mv "$list.new" "$list"
}

# ---------------------------------------------------------------- run
version=$("$HTTPD" -v | sed -n 's/^Server version: *//p')
built=$("$HTTPD" -v | sed -n 's/^Server built: *//p')
[ -n "$version" ] || die "cannot get the version of $HTTPD"
note "$version, ${#all_so[@]} modules + MPMs:$mpm_list"

: >"$tmp/unloadable"
mpms_done=()
for mpm in $mpm_list; do
    run_mpm "$mpm"
    mpms_done+=("$mpm")
done

# ---------------------------------------------------------------- merge and check
for mpm in "${mpms_done[@]}"; do cat "$tmp/$mpm/modules.tsv"; done | sort -u >"$tmp/modules.tsv"
for mpm in "${mpms_done[@]}"; do cat "$tmp/$mpm/directives.tsv"; done | sort -u >"$tmp/directives.tsv"

# One name per id and one id per name across all runs.
awk -F'\t' '
    { if (($1 in n) && n[$1] != $2) { print "module " $1 " has names " n[$1] " and " $2 > "/dev/stderr"; bad = 1 }
      if (($2 in i) && i[$2] != $1) { print "name " $2 " belongs to " i[$2] " and " $1 > "/dev/stderr"; bad = 1 }
      n[$1] = $2; i[$2] = $1 }
    END { exit bad }' "$tmp/modules.tsv" || die "inconsistent module table"

# A module should register the same directives under every MPM.
for mpm in "${mpms_done[@]}"; do
    cut -f2 "$tmp/$mpm/modules.tsv" | sort >"$tmp/$mpm/names.sorted"
done
first=${mpms_done[0]}
for mpm in "${mpms_done[@]:1}"; do
    common=$(comm -12 "$tmp/$first/names.sorted" "$tmp/$mpm/names.sorted")
    a=$(printf '%s\n' "$common" | awk -F'\t' 'NR == FNR { k[$1]; next } $1 in k' - "$tmp/$first/directives.tsv" | sort)
    b=$(printf '%s\n' "$common" | awk -F'\t' 'NR == FNR { k[$1]; next } $1 in k' - "$tmp/$mpm/directives.tsv" | sort)
    [ "$a" = "$b" ] || warn "modules register different directives under $first and $mpm: $(diff <(echo "$a") <(echo "$b") | grep '^[<>]' | tr '\n' ' ')"
done

# Names must be safe inside a C string literal.
if grep -v -E $'^[A-Za-z0-9_.-]+\t<?[A-Za-z0-9_.-]+$' "$tmp/directives.tsv" >&2; then
    die "unexpected characters in a directive or module name"
fi
if grep -v -E $'^[A-Za-z0-9_]+\t[A-Za-z0-9_.-]+$' "$tmp/modules.tsv" >&2; then
    die "unexpected characters in a module id or name"
fi

# Well-known directives that must be present: "directive<TAB>module name".
missing=0
while IFS='|' read -r d m; do
    if ! grep -qxF "$m"$'\t'"$d" "$tmp/directives.tsv"; then
        warn "expected directive missing: $d ($m)"
        missing=1
    fi
done <<'EOF'
<VirtualHost|core.c
<IfModule|core.c
<IfDefine|core.c
<IfFile|core.c
<IfDirective|core.c
<IfSection|core.c
<If|core.c
<ElseIf|core.c
<Else|core.c
<Directory|core.c
<Location|core.c
<Files|core.c
Include|core.c
IncludeOptional|core.c
Define|core.c
UnDefine|core.c
ServerRoot|core.c
ServerName|core.c
ServerAlias|core.c
Listen|event.c
Listen|worker.c
Listen|prefork.c
LoadModule|mod_so.c
LoadFile|mod_so.c
<IfVersion|mod_version.c
User|mod_unixd.c
CustomLog|mod_log_config.c
<Macro|mod_macro.c
Use|mod_macro.c
UndefMacro|mod_macro.c
SSLCACertificateFile|mod_ssl.c
SSLCACertificatePath|mod_ssl.c
SSLOCSPDefaultResponder|mod_ssl.c
SSLOCSPOverrideResponder|mod_ssl.c
SSLStaplingReturnResponderErrors|mod_ssl.c
SSLStaplingStandardCacheTimeout|mod_ssl.c
SSLSessionCache|mod_ssl.c
SSLEngine|mod_ssl.c
SSLUseStapling|mod_ssl.c
SSLStaplingCache|mod_ssl.c
SSLStaplingForceURL|mod_ssl.c
SSLStaplingResponderTimeout|mod_ssl.c
SSLCertificateFile|mod_ssl.c
SSLCertificateChainFile|mod_ssl.c
SSLOCSPEnable|mod_ssl.c
MDomain|mod_md.c
<MDomainSet|mod_md.c
<MDomain|mod_md.c
MDStapling|mod_md.c
ProxyPass|mod_proxy.c
<Proxy|mod_proxy.c
RewriteRule|mod_rewrite.c
Require|mod_authz_core.c
<RequireAll|mod_authz_core.c
StartServers|event.c
StartServers|worker.c
StartServers|prefork.c
EOF
[ $missing -eq 0 ] || die "well-known directives are missing; refusing to write $out"

total=$(wc -l <"$tmp/directives.tsv")
nmods=$(wc -l <"$tmp/modules.tsv")
ndistinct=$(cut -f2 "$tmp/directives.tsv" | sort -u | wc -l)
[ "$total" -ge "$MIN_DIRECTIVES" ] ||
    die "only $total directives found (expected at least $MIN_DIRECTIVES); refusing to write $out"

# ---------------------------------------------------------------- write
{
    printf '/* oa_directives.inc - GENERATED FILE, DO NOT EDIT BY HAND.\n'
    printf ' *\n'
    printf ' * Generated by tools/gen-directives.sh from the installed httpd:\n'
    printf ' *   %s (built %s), %s\n' "$version" "$built" "$HTTPD"
    printf ' *   modules from %s, MPMs: %s\n' "$MODDIR" "${mpms_done[*]}"
    printf ' * %s modules; %s directive lines for %s distinct directives.\n' "$nmods" "$total" "$ndistinct"
    printf ' * Rerun the script (as root) to regenerate:  tools/gen-directives.sh\n'
    printf ' *\n'
    printf ' * OA_MODULE(id, name): LoadModule symbol, module->name as <IfModule> tests it.\n'
    printf ' * OA_DIRECTIVE(name, module): directive as httpd spells it (sections keep\n'
    printf ' * their "<"), and the name of the module registering it; a directive\n'
    printf ' * registered by several modules (e.g. the MPMs) has one line per module.\n'
    printf ' */\n'
    printf '/* modules: id, file name */\n'
    awk -F'\t' '{ printf "OA_MODULE(\"%s\", \"%s\")\n", $1, $2 }' "$tmp/modules.tsv" | sort
    printf '/* directives: name (as httpd spells it), module file name */\n'
    awk -F'\t' '{ printf "OA_DIRECTIVE(\"%s\", \"%s\")\n", $2, $1 }' "$tmp/directives.tsv" | sort
} >"$tmp/out.inc"

# Per-module counts.
note "directives per module:"
awk -F'\t' 'NR == FNR { c[$2] = 0; id[$2] = $1; next } { c[$1]++ }
    END { for (m in c) printf "  %-28s %-30s %4d\n", m, id[m], c[m] }' \
    "$tmp/modules.tsv" "$tmp/directives.tsv" | sort >&2
if [ -s "$tmp/unloadable" ]; then
    warn "modules httpd could not load: $(sort -u "$tmp/unloadable" | tr '\n' ' ')"
fi
note "total: $nmods modules, $total directive lines, $ndistinct distinct directives"

if [ "$out" = "-" ]; then
    cat "$tmp/out.inc"
else
    cp "$tmp/out.inc" "$out.tmp.$$"
    mv -f "$out.tmp.$$" "$out"
    note "wrote $out"
fi
