#!/usr/bin/env bash
# CI only: install the Slurm and MUNGE packages that tests/workflow/test_slurm.py runs a local cluster
# with (tests/workflow/slurm/start-local-slurm.sh starts it; the test fails under CI=true without it).
# Debian/Ubuntu, as root. The daemons are not started here: there is no init system to start them.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
    echo "install-slurm: must run as root" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client munge
