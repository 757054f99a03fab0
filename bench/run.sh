#!/usr/bin/env bash
# bench/run.sh — the cherrygo load and lifecycle benchmark in one command.
#
# Installs what is missing (wrk, h2load, CherryPy 18, nginx, openssl, curl,
# taskset) with apt-get, makes a throw-away self-signed certificate, builds
# the Go servers, the peers (bench/peers: gin, echo, fiber) and the load
# generator, runs bench/harness and writes bench/RESULTS.md. With two or
# more CPUs the servers run on CPU 0 and the load generators on CPU 1.
#
#   bench/run.sh                                # full run (see bench/README.md for its time)
#   BENCH_DURATION=1 BENCH_ROUNDS=1 bench/run.sh  # smoke run
#
# Settings (environment): BENCH_DURATION (s, 1-10, default 2), BENCH_ROUNDS
# (5), BENCH_WARMUP (s, 1), BENCH_LIFECYCLE_ROUNDS (3), BENCH_LIFECYCLE_RUNS
# (3), BENCH_IDLE_CONNS (5000), BENCH_OUT (bench/RESULTS.md).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v h2load >/dev/null || need+=(nghttp2-client)
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
command -v taskset >/dev/null || need+=(util-linux)
# nginx fronts the FastCGI rows; Debian installs it in /usr/sbin.
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
/usr/bin/python3 -c 'import cherrypy' 2>/dev/null || need+=(python3-cherrypy3)
if ((${#need[@]})); then
	echo "run.sh: installing ${need[*]}" >&2
	sudo=""
	[[ $(id -u) -eq 0 ]] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# 5,000 idle connections need as many descriptors in the server and in the
# load generator.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/tmp"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 \
	-keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

go build -o "$work/bin/" ./bench/servers/rawhttp ./bench/servers/rawchi ./bench/servers/rawfcgi \
	./bench/servers/rawh3 ./bench/loadgen
go build -o "$work/bin/harness" ./bench/harness
# The peers a user would pick instead, from their own module so that the
# main go.mod gains none of their dependencies. A failure leaves their rows
# as n/a.
(cd bench/peers && go build -o "$work/bin/" ./gin ./echo ./fiber) ||
	echo "run.sh: bench/peers did not build; the gin, echo and fiber rows will be n/a" >&2
# The full stack: examples/hello for throughput, bench/servers/kit (the same
# program plus GET /slow) for the stop with a request in flight. A build
# failure leaves their rows as n/a instead of stopping the run.
go build -o "$work/bin/hello" ./examples/hello ||
	echo "run.sh: examples/hello did not build; its rows will be n/a" >&2
go build -o "$work/bin/kit" ./bench/servers/kit ||
	echo "run.sh: bench/servers/kit did not build; the kit's in-flight stop will be n/a" >&2

# Pinning: the servers (and nginx) on the first CPU this shell may use
# (CPU 0 on a plain 2-CPU machine), the load generators and the harness
# itself on the second. With one CPU, or without taskset, nothing is pinned
# and RESULTS.md says so.
allowed_cpus() { # "0-1,4" (taskset -pc's list) -> "0 1 4"
	local IFS=, part i
	for part in $1; do
		if [[ $part == *-* ]]; then
			for ((i = ${part%-*}; i <= ${part#*-}; i++)); do echo -n "$i "; done
		else
			echo -n "$part "
		fi
	done
}
cpus=$(nproc)
pin=()
run=()
if ((cpus >= 2)) && command -v taskset >/dev/null; then
	read -r server_cpu client_cpu _ <<<"$(allowed_cpus "$(taskset -pc $$ | sed 's/.*: *//')")"
	pin=(-server-cpu "$server_cpu" -client-cpu "$client_cpu")
	run=(taskset -c "$client_cpu")
else
	echo "run.sh: $cpus CPU(s) or no taskset: servers and load generators are not pinned" >&2
fi

BENCH_CLK_TCK=$(getconf CLK_TCK) "${run[@]}" "$work/bin/harness" \
	-bin "$work/bin" -cpus "$cpus" "${pin[@]}" \
	-python /usr/bin/python3 \
	-cherrypy bench/servers/cherrypy_hello.py \
	-wrk-script bench/wrk/report.lua \
	-cert "$work/cert.pem" -key "$work/key.pem" \
	-tmp "$work/tmp" \
	-out "${BENCH_OUT:-bench/RESULTS.md}"

# SIGHUP under load: the zero-downtime upgrade against the in-place re-exec
# (about 35 s more). Off by default; bench/upgrade/run.sh runs it alone.
if [[ ${BENCH_UPGRADE:-0} == 1 ]]; then
	bash bench/upgrade/run.sh
fi
