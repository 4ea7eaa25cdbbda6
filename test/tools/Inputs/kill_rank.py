#!/usr/bin/env python3
"""Kills one rank of a running multi-rank job and checks that the job ends.

    kill_rank.py [--ranks N] [--kill-rank R] [--ready REGEX [--ready-count K]]
                 [--settle SECONDS] [--deadline SECONDS] -- COMMAND...

COMMAND starts the job (an mpirun command line, e.g. `%mpirun -np 2
dsv2-run ENGINE ...`). Once the launcher's descendants include N rank
processes (found by OMPI_COMM_WORLD_RANK / PMIX_RANK in their environment)
and, with --ready, the job's output matched REGEX K times, it waits
--settle seconds and SIGKILLs rank R. The check passes when the whole job
then exits with a non-zero status within --deadline seconds (default 60):
a dead rank must never leave the others hanging. Prints the job's output
prefixed with "| ", the time it took, and "OK" or "FAIL: ...".
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time


def parent_map():
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # pid (comm) state ppid ...; comm may hold spaces.
                fields = stat.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            pass
    return parents


def rank_of(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as environ:
            for item in environ.read().split(b"\0"):
                for name in (b"OMPI_COMM_WORLD_RANK=", b"PMIX_RANK=", b"PMI_RANK="):
                    if item.startswith(name):
                        return int(item[len(name):])
    except (OSError, ValueError):
        pass
    return None


def rank_processes(launcher):
    """{rank: pid} over the launcher's descendants (the first pid per rank)."""
    parents = parent_map()
    ranks = {}
    for pid in sorted(parents):
        ancestor = parents.get(pid)
        while ancestor and ancestor != launcher and ancestor != 1:
            ancestor = parents.get(ancestor)
        if ancestor != launcher:
            continue
        rank = rank_of(pid)
        if rank is not None and rank not in ranks:
            ranks[rank] = pid
    return ranks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--kill-rank", type=int, default=1)
    parser.add_argument("--ready", help="regex the job's output must match first")
    parser.add_argument("--ready-count", type=int, default=1)
    parser.add_argument("--settle", type=float, default=0.5)
    parser.add_argument("--deadline", type=float, default=60)
    parser.add_argument("--start-timeout", type=float, default=60)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the job's command after --")

    job = subprocess.Popen(command, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, start_new_session=True)
    matches = 0
    lock = threading.Lock()
    pattern = re.compile(args.ready) if args.ready else None

    def pump():
        nonlocal matches
        for raw in job.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            print("| " + line, flush=True)
            if pattern and pattern.search(line):
                with lock:
                    matches += 1

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()

    def fail(message):
        print(f"FAIL: {message}", flush=True)
        try:
            os.killpg(job.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        sys.exit(1)

    start = time.monotonic()
    ranks = {}
    while True:
        if job.poll() is not None:
            fail(f"the job exited (status {job.returncode}) before it was running")
        ranks = rank_processes(job.pid)
        with lock:
            ready = not pattern or matches >= args.ready_count
        if len(ranks) >= args.ranks and ready:
            break
        if time.monotonic() - start > args.start_timeout:
            fail(f"after {args.start_timeout:g} s: {len(ranks)} of {args.ranks} "
                 f"ranks running, {matches} ready lines")
        time.sleep(0.05)
    if args.kill_rank not in ranks:
        fail(f"no rank {args.kill_rank} among {sorted(ranks)}")
    time.sleep(args.settle)
    victim = ranks[args.kill_rank]
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    print(f"killed rank {args.kill_rank} (pid {victim})", flush=True)
    try:
        status = job.wait(timeout=args.deadline)
    except subprocess.TimeoutExpired:
        fail(f"the job still runs {args.deadline:g} s after rank "
             f"{args.kill_rank} was killed")
    took = time.monotonic() - killed
    reader.join(timeout=5)
    if status == 0:
        fail(f"the job exited with status 0 after rank {args.kill_rank} was killed")
    print(f"the job exited with status {status} {took:.2f} s after rank "
          f"{args.kill_rank} was killed", flush=True)
    print("OK", flush=True)


if __name__ == "__main__":
    main()
