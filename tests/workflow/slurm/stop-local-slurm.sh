#!/usr/bin/env bash
# Stop what start-local-slurm.sh started: the daemons named by the pid files in SLURM_TEST_DIR, each
# killed only if that pid is still a process of the expected name (a stale pid file may name a reused
# pid). A machine's own munged is not in SLURM_TEST_DIR and keeps running. Idempotent.
set -euo pipefail

dir=${SLURM_TEST_DIR:-/tmp/reviewgen-slurm}

stop() {  # stop NAME
    local file=$dir/$1.pid pid
    pid=$(cat "$file" 2>/dev/null) || return 0
    if [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == "$1" ]]; then
        kill -TERM "$pid"
        for _ in $(seq 50); do
            [[ -e /proc/$pid ]] || break
            sleep 0.2
        done
        if [[ -e /proc/$pid ]]; then
            echo "stop-local-slurm: $1 ($pid) ignored SIGTERM for 10 s, killing" >&2
            kill -KILL "$pid"
        fi
    fi
    # slurmctld leaves its pid file behind; a stale one must not be taken for a live daemon later.
    rm -f "$file"
}

# Node daemon first, so the controller does not log it as lost; munged last, both need it to talk.
stop slurmd
stop slurmctld
stop munged
