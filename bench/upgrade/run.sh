#!/usr/bin/env bash
# bench/upgrade/run.sh — SIGHUP under load: the zero-downtime upgrade of
# examples/hello against the old in-place re-exec (bench/upgrade/restartapp).
#
# For each program: start it on 127.0.0.1 at a free port, load it with wrk
# (bench/upgrade/gap.lua records the longest wait between two 200s per
# thread) and, beside wrk, bench/upgrade/gapprobe (a GET on a fresh
# connection every millisecond), while 5 SIGHUPs go, ~1.5 s apart, each to
# the process that serves at that moment (after an upgrade, the pid that
# the old process logged as ready). Then SIGTERM, check that no process of
# the program is left, and write the table to bench/upgrade/RESULTS.md.
#
#   bench/upgrade/run.sh                # ~35 s after the build
#   BENCH_UPGRADE=1 bench/run.sh        # the same, after the main benchmark
#
# Settings (environment): BENCH_UPGRADE_OUT (bench/upgrade/RESULTS.md).
# The logs and outputs of both runs stay in the temporary directory whose
# path is printed at the end.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
out=${BENCH_UPGRADE_OUT:-bench/upgrade/RESULTS.md}

duration=10 # seconds of load, for wrk and the probe alike
hups=5      # SIGHUPs per run
spacing_ms=1500

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
if ((${#need[@]})); then
	echo "upgrade: installing ${need[*]}" >&2
	sudo=""
	[[ $(id -u) -eq 0 ]] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cherrygo-upgrade.XXXXXX")
mkdir -p "$work/bin"

# Every process still running from $work/bin, by pid. Matching on the
# temporary path can only find the programs this script started.
leftovers() {
	local p exe
	for p in $(pgrep -f "$work/bin/" 2>/dev/null || true); do
		exe=$(readlink "/proc/$p/exe" 2>/dev/null || true)
		[[ $exe == "$work/bin/"* ]] && echo "$p"
	done
	return 0
}

# On any exit, nothing this script started may outlive it.
cleanup() {
	local p
	for p in $(leftovers); do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in $(leftovers); do kill -KILL "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

echo "upgrade: building into $work/bin" >&2
go build -o "$work/bin/" ./examples/hello ./bench/upgrade/restartapp ./bench/upgrade/gapprobe

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# alive PID: the process exists and is not a zombie (after an upgrade the
# serving process is no child of this shell, and whoever inherits it may
# be slow to reap it).
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ready_count LOG MODE: how many times a process has become the server so
# far (upgrade: hand-overs to a new process; restart: starts of the bus).
ready_count() {
	if [[ $2 == upgrade ]]; then
		grep 'upgrade: the new process is ready' "$1" | grep -vc 'this one is stopping' || true
	else
		grep -c 'msg="bus state" from=STARTING to=STARTED' "$1" || true
	fi
}

# hup_loop NAME MODE PID: sends the SIGHUPs, each to the current main
# process, writes the timeline to $work/NAME.hups and the final pid to
# $work/NAME.pid.
hup_loop() {
	local name=$1 mode=$2 pid=$3 log="$work/$1.log"
	local t0 i n0 sent deadline newpid
	t0=$(now_ms)
	echo "$pid" >"$work/$name.pid"
	for ((i = 1; i <= hups; i++)); do
		while (($(now_ms) < t0 + i * spacing_ms)); do sleep 0.02; done
		n0=$(ready_count "$log" "$mode")
		sent=$(now_ms)
		if ! kill -HUP "$pid" 2>/dev/null; then
			echo "t=$((sent - t0))ms SIGHUP #$i: pid $pid is gone" >>"$work/$name.hups"
			break
		fi
		deadline=$((sent + 5000))
		while (($(ready_count "$log" "$mode") <= n0)) && (($(now_ms) < deadline)); do sleep 0.005; done
		if (($(ready_count "$log" "$mode") <= n0)); then
			echo "t=$((sent - t0))ms SIGHUP #$i to pid $pid: NOT ready after 5 s" >>"$work/$name.hups"
			continue
		fi
		newpid=$pid
		if [[ $mode == upgrade ]]; then
			newpid=$(grep 'upgrade: the new process is ready' "$log" | grep -v 'this one is stopping' |
				tail -n 1 | sed -n 's/.*[[:space:]]pid=\([0-9][0-9]*\).*/\1/p')
			[[ -n $newpid ]] || newpid=$pid
		fi
		echo "t=$((sent - t0))ms SIGHUP #$i to pid $pid: ready after $(($(now_ms) - sent))ms, serving pid $newpid" >>"$work/$name.hups"
		pid=$newpid
		echo "$pid" >"$work/$name.pid"
	done
}

# field FILE REGEX: the first capture of a sed regex in FILE, or n/a.
field() {
	local v
	v=$(sed -n "s/$2/\1/p" "$1" | head -n 1)
	echo "${v:-n/a}"
}

failed=0
rows=()
details=()

# run NAME MODE LABEL
run() {
	local name=$1 mode=$2 label=$3 bin="$work/bin/$1" log="$work/$1.log"
	local port pid i hpid ppid_ rc cur left killed="no"
	port=$(free_port)
	echo "upgrade: $name ($label) on 127.0.0.1:$port" >&2
	SERVER_SOCKET_HOST=127.0.0.1 SERVER_SOCKET_PORT=$port "$bin" >"$log" 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
		sleep 0.1
	done
	if ! curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
		echo "upgrade: $name did not answer on port $port; its log:" >&2
		cat "$log" >&2
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		rows+=("| $label | n/a | n/a | n/a | n/a | n/a |")
		failed=1
		return 0
	fi

	"$work/bin/gapprobe" -url "http://127.0.0.1:$port/" -d "${duration}s" >"$work/$name.probe" 2>&1 &
	ppid_=$!
	: >"$work/$name.hups"
	hup_loop "$name" "$mode" "$pid" &
	hpid=$!
	wrk -t2 -c50 -d"${duration}s" --latency -s bench/upgrade/gap.lua "http://127.0.0.1:$port/" >"$work/$name.wrk" 2>&1 || true
	wait "$hpid" || true
	wait "$ppid_" || true

	# Stop whichever process serves now, and wait for it (it is not a
	# child of this shell after an upgrade, so poll).
	cur=$(cat "$work/$name.pid")
	kill -TERM "$cur" 2>/dev/null || true
	for ((i = 0; i < 150; i++)); do
		alive "$cur" || break
		sleep 0.1
	done
	rc=0
	wait "$pid" || rc=$?
	sleep 0.3
	left=$(leftovers | tr '\n' ' ')
	if [[ -n $left ]]; then
		killed="yes: pids $left"
		echo "upgrade: $name left processes behind ($left): killing them" >&2
		for i in $left; do kill -TERM "$i" 2>/dev/null || true; done
		sleep 1
		for i in $(leftovers); do kill -KILL "$i" 2>/dev/null || true; done
	fi

	local reqs conn rd write tmo non2xx rps wgap pgap pfail pattempts done_n warn
	reqs=$(field "$work/$name.wrk" '^ *\([0-9][0-9]*\) requests in .*')
	conn=$(field "$work/$name.wrk" '.*Socket errors: connect \([0-9]*\),.*')
	rd=$(field "$work/$name.wrk" '.*Socket errors: .*read \([0-9]*\),.*')
	write=$(field "$work/$name.wrk" '.*Socket errors: .*write \([0-9]*\),.*')
	tmo=$(field "$work/$name.wrk" '.*Socket errors: .*timeout \([0-9]*\).*')
	# wrk prints these lines only when a count is not zero.
	grep -q 'Socket errors:' "$work/$name.wrk" || { conn=0 rd=0 write=0 tmo=0; }
	non2xx=$(field "$work/$name.wrk" '.*Non-2xx or 3xx responses: \([0-9]*\).*')
	grep -q 'Non-2xx or 3xx responses:' "$work/$name.wrk" || non2xx=0
	rps=$(field "$work/$name.wrk" '^Requests\/sec: *\([0-9.]*\).*')
	wgap=$(field "$work/$name.wrk" '^gap.lua longest_gap_ms=\([^ ]*\).*')
	pgap=$(field "$work/$name.probe" '.*longest_gap_ms=\([0-9.]*\).*')
	pfail=$(field "$work/$name.probe" '.*failures=\([0-9]*\).*')
	pattempts=$(field "$work/$name.probe" '.*attempts=\([0-9]*\).*')
	done_n=$(grep -c ' ready after ' "$work/$name.hups" || true)
	warn=$(grep -E 'level=(WARN|ERROR)' "$log" || true)

	rows+=("| $label | $reqs | $conn / $rd / $write / $tmo | $non2xx | $pgap ms | $pfail of $pattempts |")
	details+=("### $label ($name)" ""
		"- wrk: $reqs requests, $rps requests/s; gap.lua's longest wait between two 200s on one wrk thread: $wgap ms"
		"- SIGHUPs answered (a new server ready): $done_n of $hups; exit status of the first process: $rc; processes left after the final SIGTERM: $killed"
		"- probe failures by kind: $(grep '^failure' "$work/$name.probe" | sed 's/^failure kind=//' | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
		"- server WARN/ERROR log lines: $(if [[ -n $warn ]]; then echo "$(wc -l <<<"$warn")"; else echo none; fi)"
		"" '```' "$(cat "$work/$name.hups")" '```' "")
	if [[ -n $warn ]]; then
		details+=('```' "$warn" '```' "")
	fi
}

run hello upgrade "zero-downtime upgrade (examples/hello)"
run restartapp restart "in-place re-exec (HangupRestart, bench/upgrade/restartapp)"

{
	echo "# SIGHUP under load: upgrade against in-place re-exec"
	echo
	echo "Written by \`bench/upgrade/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs (nproc),"
	echo "$(go version | sed 's/^go version //'), $(wrk --version 2>&1 | head -n 1 | awk '{print "wrk " $2}')."
	echo
	echo "Each program serves \`GET /\` on 127.0.0.1 and gets $hups SIGHUPs ${spacing_ms} ms apart"
	echo "while \`wrk -t2 -c50 -d${duration}s --latency -s bench/upgrade/gap.lua\` loads it (kept-alive"
	echo "connections) and \`bench/upgrade/gapprobe\` sends a GET on a fresh connection every"
	echo "millisecond for the same ${duration} s. The probe's gap is the longest wall-clock time"
	echo "between two of its successful (200) responses."
	echo
	echo "Client and server share the same $(nproc) cores: wrk's two threads, the probe and the"
	echo "server (two servers, for the moment of an upgrade) compete for them, so the"
	echo "request counts and the gaps include scheduling delays of the machine itself."
	echo
	echo "| SIGHUP behaviour | requests | socket errors (connect/read/write/timeout) | non-2xx | longest gap without a 200 (probe) | probe failures |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	printf '%s\n' "${rows[@]}"
	echo
	echo "## Details"
	echo
	printf '%s\n' "${details[@]}"
} >"$out"

echo "upgrade: wrote $out; logs and outputs in $work" >&2
cat "$out"
exit "$failed"
