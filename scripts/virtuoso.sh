#!/usr/bin/env bash
# Install Debian's Virtuoso (virtuoso-opensource) and run a private instance on 127.0.0.1, for
# mlkg's external-store tests and benchmarks. See docs/external-store.md.
#
#   scripts/virtuoso.sh install          # apt-get install virtuoso-opensource (sudo if needed)
#   eval "$(scripts/virtuoso.sh start)"  # install if missing, start, export MLKG_STORE_* for it
#   scripts/virtuoso.sh stop DIR         # stop the instance whose folder `start` printed
#   scripts/virtuoso.sh load DIR FILE... # bulk-load .nq/.nt/.ttl files into it (ld_add + rdf_loader_run)
#
# `start [DIR]` runs its own virtuoso-t with its own virtuoso.ini in DIR (default: a new temp
# folder), never the packaged service: the stock config listens on every interface (1111, 8890)
# and caps results at ResultSetMaxRows=10000 *silently*. Here both ports bind 127.0.0.1 only
# (free ports, or VIRTUOSO_HTTP_PORT / VIRTUOSO_SQL_PORT), ResultSetMaxRows is 1000000 (just
# under Virtuoso's hard HTTP limit of 2^20 rows; mlkg refuses a result of that size as probably
# cut, via MLKG_STORE_MAX_ROWS), and the dba password is a fresh random one. It prints the
# endpoints as `export MLKG_STORE_...=...` lines and, last, the stop command:
#
#   query        http://127.0.0.1:PORT/sparql                  (anonymous, read-only)
#   update       http://127.0.0.1:PORT/sparql-auth             (Digest auth, user dba)
#   graph store  http://127.0.0.1:PORT/sparql-graph-crud-auth  (Digest auth, user dba)
#
# Virtuoso's default graph (a query without FROM) is the union of all graphs, hence
# MLKG_STORE_DEFAULT_GRAPH=union. Remember when talking to it by hand: POST queries as forms
# (it hangs on a POST of application/sparql-query) and always send Accept (else it answers HTML).
set -euo pipefail

PACKAGE=virtuoso-opensource
SERVER=virtuoso-t
ISQL=isql-vt
VAD_DIR=/usr/share/virtuoso-opensource-7/vad
VSP_DIR=/var/lib/virtuoso-opensource-7/vsp
PLUGINS=/usr/lib/x86_64-linux-gnu/virtuoso-opensource-7/hosting

die() { echo "virtuoso.sh: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
    else die "need root (or password-less sudo) to run: $*"
    fi
}

install() {
    command -v "$SERVER" >/dev/null && return 0
    command -v apt-get >/dev/null || die "apt-get not found: install $PACKAGE by hand"
    # The package's postinst starts the stock service (all interfaces): forbid service starts
    # during the install unless the machine already has a policy (containers usually do).
    local policy=/usr/sbin/policy-rc.d created=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
        as_root chmod 755 "$policy"
        created=1
    fi
    local status=0
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        "$PACKAGE" >&2 || status=$?
    if [ "$status" != 0 ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2 || true
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            "$PACKAGE" >&2 || status=$?
    fi
    [ -n "$created" ] && as_root rm -f "$policy"
    [ "$status" = 0 ] || die "apt-get install $PACKAGE failed ($status)"
    command -v "$SERVER" >/dev/null || die "$SERVER not found after installing $PACKAGE"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_ini() {
    local dir=$1 sql_port=$2 http_port=$3
    cat >"$dir/virtuoso.ini" <<EOF
[Database]
DatabaseFile       = $dir/virtuoso.db
ErrorLogFile       = $dir/virtuoso.log
LockFile           = $dir/virtuoso.lck
TransactionFile    = $dir/virtuoso.trx
xa_persistent_file = $dir/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = $dir/virtuoso-temp.db
TransactionFile    = $dir/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:$sql_port
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 10
CheckpointInterval       = 60
CaseMode                 = 2
DirsAllowed              = ., $VAD_DIR, $dir
VADInstallDir            = $VAD_DIR/
MaxQueryMem              = 2G
NumberOfBuffers          = ${VIRTUOSO_BUFFERS:-170000}
MaxDirtyBuffers          = ${VIRTUOSO_DIRTY_BUFFERS:-130000}
ThreadsPerQuery          = 2

[HTTPServer]
ServerPort                  = 127.0.0.1:$http_port
ServerRoot                  = $VSP_DIR
MaxClientConnections        = 10
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
ServerThreads               = 10
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
Charset                     = UTF-8
EnabledGzipContent          = 1

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[URIQA]
DynamicLocal = 0
DefaultHost  = 127.0.0.1:$http_port

[SPARQL]
ResultSetMaxRows           = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = ${VIRTUOSO_QUERY_SECONDS:-300}
DefaultQuery               = select distinct ?Concept where {[] a ?Concept} LIMIT 100
DeferInferenceRulesInit    = 0

[Plugins]
LoadPath = $PLUGINS
EOF
}

start() {
    [ "${VIRTUOSO_NO_INSTALL:-}" = 1 ] || install
    command -v "$SERVER" >/dev/null || die "$SERVER is not installed (scripts/virtuoso.sh install)"
    local dir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/mlkg-virtuoso-XXXXXX")}
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    local sql_port=${VIRTUOSO_SQL_PORT:-$(free_port)} http_port=${VIRTUOSO_HTTP_PORT:-$(free_port)}
    write_ini "$dir" "$sql_port" "$http_port"
    # exec: the background job *is* virtuoso-t (its pid is the one to stop), and it holds none
    # of our output streams open (a caller reading them would wait for it forever).
    (cd "$dir" && exec "$SERVER" +configfile "$dir/virtuoso.ini" +foreground \
        </dev/null >"$dir/stdout.log" 2>&1) &
    echo $! >"$dir/virtuoso.pid"
    local pid; pid=$(cat "$dir/virtuoso.pid")
    local waited=0
    until "$ISQL" "127.0.0.1:$sql_port" dba dba exec="status('');" >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || die "virtuoso-t exited: $(tail -20 "$dir/virtuoso.log" 2>/dev/null)"
        sleep 0.5
        waited=$((waited + 1))
        [ "$waited" -lt 240 ] || { kill "$pid"; die "virtuoso-t did not start within 120 s"; }
    done
    local password
    password=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
    "$ISQL" "127.0.0.1:$sql_port" dba dba >"$dir/setup.log" 2>&1 <<EOF
GRANT SPARQL_UPDATE TO "dba";
GRANT SPARQL_SELECT TO "dba";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 1);
set password "dba" "$password";
EOF
    echo "$sql_port" >"$dir/sql.port"
    cat <<EOF
export MLKG_STORE_URL=http://127.0.0.1:$http_port/sparql
export MLKG_STORE_UPDATE_URL=http://127.0.0.1:$http_port/sparql-auth
export MLKG_STORE_GSP_URL=http://127.0.0.1:$http_port/sparql-graph-crud-auth
export MLKG_STORE_USER=dba
export MLKG_STORE_PASSWORD=$password
export MLKG_STORE_AUTH=digest
export MLKG_STORE_DEFAULT_GRAPH=union
export MLKG_STORE_MAX_ROWS=1000000
export VIRTUOSO_DIR=$dir
# stop with: $0 stop $dir
EOF
}

stop() {
    local dir=${1:?usage: virtuoso.sh stop DIR}
    [ -f "$dir/virtuoso.pid" ] || die "no virtuoso.pid in $dir"
    local pid; pid=$(cat "$dir/virtuoso.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$dir/virtuoso.pid"
    echo "stopped virtuoso ($dir)" >&2
}

# `load DIR FILE...`: Virtuoso's bulk loader, its fastest way in. Each FILE is hard-linked (else
# symlinked) into DIR/load, inside the instance's DirsAllowed, registered with ld_add (an .nq
# file's quads go to their own named graphs; triples without one to VIRTUOSO_LOAD_GRAPH) and
# loaded by VIRTUOSO_LOADERS parallel rdf_loader_run() sessions (default 1: the loader works file
# by file), then checkpointed. Needs the dba password `start` printed, in MLKG_STORE_PASSWORD.
# Prints tab-separated lines: `file PATH STATE ERROR` per file, `seconds loader S` and
# `seconds checkpoint S`; fails if a file's load reported an error (Virtuoso stops that file at
# the line; a small file was then not loaded at all).
load() {
    local dir=${1:?usage: virtuoso.sh load DIR FILE...}
    shift
    [ $# -gt 0 ] || die "usage: virtuoso.sh load DIR FILE..."
    [ -f "$dir/sql.port" ] || die "no sql.port in $dir: start the instance with: $0 start DIR"
    [ -n "${MLKG_STORE_PASSWORD:-}" ] || die "set MLKG_STORE_PASSWORD to the dba password start printed"
    dir=$(cd "$dir" && pwd)
    local port graph=${VIRTUOSO_LOAD_GRAPH:-urn:mlkg:bulk-load:default}
    port=$(cat "$dir/sql.port")
    mkdir -p "$dir/load"
    local file target sql="" names=""
    for file in "$@"; do
        [ -f "$file" ] || die "no such file: $file"
        target="$dir/load/$(basename "$file")"
        rm -f "$target"
        ln "$file" "$target" 2>/dev/null \
            || ln -s "$(cd "$(dirname "$file")" && pwd)/$(basename "$file")" "$target"
        target=${target//\'/\'\'}
        sql+="delete from DB.DBA.LOAD_LIST where ll_file = '$target';"$'\n'
        sql+="ld_add('$target', '${graph//\'/\'\'}');"$'\n'
        names+="'$target',"
    done
    vsql() {  # run SQL from stdin as dba; fail on any error (isql itself exits 0)
        local errors failed=""
        errors=$(mktemp "$dir/load/isql-XXXXXX")
        "$ISQL" "127.0.0.1:$port" dba "$MLKG_STORE_PASSWORD" VERBOSE=OFF BANNER=OFF PROMPT=OFF \
            ECHO=OFF 2>"$errors"
        grep -q '\*\*\* Error' "$errors" && failed=$(grep -A1 '\*\*\* Error' "$errors" | head -4 | tr '\n' ' ')
        rm -f "$errors"
        [ -z "$failed" ] || die "isql: $failed"
    }
    printf '%s' "$sql" | vsql >/dev/null
    local start end pids=() i status=0
    start=$(date +%s.%N)
    for ((i = 0; i < ${VIRTUOSO_LOADERS:-1}; i++)); do
        echo "rdf_loader_run();" | vsql >/dev/null &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || status=$?; done
    end=$(date +%s.%N)
    [ "$status" = 0 ] || die "rdf_loader_run failed ($status)"
    printf 'seconds\tloader\t%s\n' "$(python3 -c "print(round($end - $start, 3))")"
    start=$(date +%s.%N)
    echo "checkpoint;" | vsql >/dev/null
    end=$(date +%s.%N)
    printf 'seconds\tcheckpoint\t%s\n' "$(python3 -c "print(round($end - $start, 3))")"
    local report
    report=$(vsql <<EOF
select concat('file', chr(9), ll_file, chr(9), cast(ll_state as varchar), chr(9),
              coalesce(ll_error, '')) from DB.DBA.LOAD_LIST where ll_file in (${names%,});
EOF
)
    printf '%s\n' "$report" | grep -v '^$'
    if printf '%s\n' "$report" | awk -F'\t' '$1 == "file" && ($4 != "" || $3 != "2") { bad = 1 } END { exit !bad }'; then
        die "the bulk loader reported errors (see the file lines above)"
    fi
}

case "${1:-}" in
    install) install ;;
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    load) shift; load "$@" ;;
    *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
