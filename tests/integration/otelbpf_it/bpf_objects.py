"""eBPF programs a process holds, seen from /proc (fd links and fdinfo), and whether a
program id still exists in the kernel (bpftool)."""

import os
import subprocess

from . import config


def program_ids_of(pid: int) -> set:
    """Ids of the eBPF programs the process has open (anon_inode:bpf-prog fds)."""
    ids = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(f"{fd_dir}/{fd}") != "anon_inode:bpf-prog":
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            continue  # closed meanwhile
    return ids


def program_exists(prog_id: int) -> bool:
    done = subprocess.run([config.tool("bpftool"), "prog", "show", "id", str(prog_id)],
                          capture_output=True, text=True)
    return done.returncode == 0
