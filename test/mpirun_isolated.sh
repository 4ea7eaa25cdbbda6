#!/usr/bin/env bash
# Runs COMMAND (an mpirun command line) with a TMPDIR of its own, removed
# after it: Open MPI 4 creates its session directory under $TMPDIR for every
# run, and two runs that start together (lit runs tests in parallel) can
# race on creating it ("A call to mkdir was unable to create the desired
# directory ... File exists") and fail a test that did nothing wrong.
# lit.cfg.py puts it in front of %mpirun.
#
# Usage: mpirun_isolated.sh mpirun [ARGS...]
set -u
session=$(mktemp -d "${TMPDIR:-/tmp}/dsv2-mpirun.XXXXXX") || exit 1
TMPDIR=$session "$@"
status=$?
rm -rf "$session"
exit "$status"
