#!/usr/bin/env bash
# Broker load comparison: runs every scenario of examples/loadgen.rs against Debian's mosquitto
# and against any other broker given with --broker, each broker started fresh for each scenario
# on a free port of 127.0.0.1, and prints one table.
#
#   benches/broker_load.sh [options]
#
#   --broker [NAME=]COMMAND  another broker to run the same load against; {port} in COMMAND is
#                            replaced by the port, e.g.
#                            --broker "mqtt-wire=cargo run --release --example broker -- --port {port}"
#                            (repeatable; NAME defaults to broker2, broker3, ...)
#   --no-mosquitto           skip mosquitto
#   --scenarios "A B ..."    default: qos0-1to1 qos1-1to1 10to10 fanout100 idle1000
#   --duration SECS          per scenario (default 10)
#   --payload BYTES          (default 64)
#   --loadgen-args "ARGS"    more options for every loadgen run (e.g. "--window 0")
#
# At full speed the latency is mostly the wait behind the deliveries under way (loadgen's
# --window); for the latency of a broker that keeps up, give a rate below its throughput:
# --loadgen-args "--rate 10000".
#
# The broker's resident memory (VmRSS) is read before the clients connect and once they all
# have; the last column is the difference per connection (for idle1000: per idle client).
# Brokers and loadgen share the machine, so the figures compare brokers on one machine; they are
# not absolute.
set -euo pipefail
cd "$(dirname "$0")/.."

scenarios="qos0-1to1 qos1-1to1 10to10 fanout100 idle1000"
duration=10
payload=64
loadgen_args=""
with_mosquitto=1
names=()
commands=()

while [ $# -gt 0 ]; do
    case "$1" in
        --broker)
            spec=$2
            if [[ $spec =~ ^([A-Za-z0-9_.+-]+)=(.*)$ ]]; then
                names+=("${BASH_REMATCH[1]}")
                commands+=("${BASH_REMATCH[2]}")
            else
                names+=("broker$((${#names[@]} + 2))")
                commands+=("$spec")
            fi
            shift 2 ;;
        --no-mosquitto) with_mosquitto=0; shift ;;
        --scenarios) scenarios=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --payload) payload=$2; shift 2 ;;
        --loadgen-args) loadgen_args=$2; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "broker_load.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

workdir=$(mktemp -d)
broker_pid=""
cleanup() {
    stop_broker
    rm -rf "$workdir"
}
trap cleanup EXIT

if [ "$with_mosquitto" = 1 ]; then
    mosquitto_bin=$(command -v mosquitto || true)
    [ -n "$mosquitto_bin" ] || [ ! -x /usr/sbin/mosquitto ] || mosquitto_bin=/usr/sbin/mosquitto
    if [ -z "$mosquitto_bin" ]; then
        echo "broker_load.sh: mosquitto not found (apt-get install mosquitto)" >&2
        exit 1
    fi
    # Mosquitto's defaults, anonymous clients allowed, no persistence.
    names=("mosquitto" "${names[@]}")
    commands=("$mosquitto_bin -c $workdir/mosquitto-{port}.conf" "${commands[@]}")
fi
if [ ${#commands[@]} -eq 0 ]; then
    echo "broker_load.sh: no broker to run (--no-mosquitto without --broker)" >&2
    exit 2
fi

echo "building the load generator..." >&2
cargo build -q --release --example loadgen
loadgen="${CARGO_TARGET_DIR:-target}/release/examples/loadgen"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

listening() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The process listening on port $1 (the broker itself when the command wraps it, as cargo run
# does); the started process when ss cannot tell.
listener_pid() {
    local pid
    pid=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
    echo "${pid:-$broker_pid}"
}

# Starts command $1 with {port} replaced by $2, in a process group of its own, and waits until
# the port accepts connections (a command that builds first may take minutes).
start_broker() {
    local command=${1//\{port\}/$2} port=$2
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" \
        >"$workdir/mosquitto-$port.conf"
    setsid bash -c "exec $command" >"$workdir/broker.log" 2>&1 </dev/null &
    broker_pid=$!
    for _ in $(seq 1 6000); do
        if listening "$port"; then return 0; fi
        if ! kill -0 "$broker_pid" 2>/dev/null; then
            echo "broker_load.sh: the broker exited: $command" >&2
            tail -n 20 "$workdir/broker.log" >&2
            broker_pid=""
            return 1
        fi
        sleep 0.1
    done
    echo "broker_load.sh: the broker does not listen on $port after 600 s" >&2
    return 1
}

# Stops the process group start_broker made (by its id), SIGKILL after 5 s.
stop_broker() {
    [ -n "$broker_pid" ] || return 0
    kill -TERM -- "-$broker_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$broker_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=""
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

field() { # field NAME LINE
    grep -o "\b$1=[0-9]*" <<<"$2" | head -n 1 | cut -d= -f2
}

rows=()
for i in "${!commands[@]}"; do
    name=${names[$i]}
    for scenario in $scenarios; do
        port=$(free_port)
        start_broker "${commands[$i]}" "$port"
        pid=$(listener_pid "$port")
        echo "== $name, $scenario (port $port, pid $pid)" >&2
        # shellcheck disable=SC2086 # loadgen_args is a list of options
        if out=$("$loadgen" --port "$port" --scenario "$scenario" --duration "$duration" \
            --payload "$payload" --broker-pid "$pid" $loadgen_args); then
            echo "$out" | grep -v '^RESULT' >&2
            result=$(grep '^RESULT' <<<"$out")
            rate=$(field rate "$result")
            p50=$(field p50_us "$result")
            p99=$(field p99_us "$result")
            sent=$(field sent "$result")
            received=$(field received "$result")
            expected=$(field expected "$result")
            per_conn=$(field rss_per_conn_bytes "$result")
            rows+=("$(printf '%-12s %-10s %10s %9s %9s %10s %21s %9s' "$name" "$scenario" \
                "$rate" "$(ms "$p50")" "$(ms "$p99")" "$sent" "$received/$expected" \
                "${per_conn:--}")")
        else
            rows+=("$(printf '%-12s %-10s %s' "$name" "$scenario" "failed")")
        fi
        stop_broker
    done
done

echo
printf '%-12s %-10s %10s %9s %9s %10s %21s %9s\n' broker scenario "msg/s" "p50 ms" "p99 ms" \
    sent "received/expected" "B/conn"
printf '%s\n' "${rows[@]}"
