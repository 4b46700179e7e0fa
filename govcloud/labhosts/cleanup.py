"""Remove what dead labs left behind: nspawn processes, overlays, loops, netns, veths, bridges.

A lab is *live* while its owner process runs, or if it was started persistent
(`up`) — unless `everything=True`. Only objects with the lab naming scheme are
touched, and never those of a live lab (other engineers' labs keep running).
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

from . import cgroups, network, overlay, volumes
from .base import prune_bases
from .paths import state_root
from .run import log, run
from .state import LabRecord, owner_alive, registered, unregister

_LINK_RE = re.compile(r"^gv([0-9a-f]{6})(br|v\d+)$")
_NETNS_RE = re.compile(r"^gv-([0-9a-f]{6})-")


def cleanup(*, everything: bool = False, prune: bool = False) -> list[str]:
    """Tear down dead labs (all labs if `everything`); with `prune`, delete cached bases that
    are neither current nor used by a live lab. Returns a line per action taken."""
    from .lab import Lab

    actions: list[str] = []
    live_ids: set[str] = set()
    live_dirs: set[str] = set()
    dead_dirs: set[str] = set()
    for entry in registered():
        has_state = (Path(entry["state_dir"]) / "lab.json").exists()
        alive = not everything and has_state and (entry.get("persistent") or owner_alive(entry))
        if alive:
            live_ids.add(entry["id"])
            live_dirs.add(str(Path(entry["state_dir"]).resolve()))
            continue
        sdir = Path(entry["state_dir"])
        dead_dirs.add(str(sdir.resolve()))
        if (sdir / "lab.json").exists():
            lab = Lab(LabRecord.load(sdir))
            lab.record.persistent = True  # no atexit for a handle we stop now
            problems = lab.stop()
            actions.append(f"stopped lab {entry['id']} ({sdir})" + (f": {problems}" if problems else ""))
        else:
            actions.append(f"forgot lab {entry['id']} (state dir {sdir} gone)")
        unregister(entry["id"])
    actions += _sweep_orphans(live_ids, live_dirs, dead_dirs)
    if prune:
        in_use = set()
        for d in live_dirs:
            try:
                in_use.add(LabRecord.load(Path(d)).base_rootfs)
            except (OSError, ValueError):
                continue
        actions += [f"pruned unused base {p}" for p in prune_bases(in_use)]
    for a in actions:
        log.info("cleanup: %s", a)
    return actions


def _state_dir_of_root(root: str) -> str | None:
    """`<state>/hosts/<name>/root` → `<state>`."""
    p = Path(root)
    if p.name == "root" and p.parent.parent.name == "hosts":
        return str(p.parent.parent.parent)
    return None


def _sweep_orphans(live_ids: set[str], live_dirs: set[str], dead_dirs: set[str]) -> list[str]:
    actions: list[str] = []
    # nspawn processes of dead labs
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = [a.decode(errors="replace") for a in (proc / "cmdline").read_bytes().split(b"\0")]
        except OSError:
            continue
        if not argv or not argv[0].endswith("systemd-nspawn"):
            continue
        root = next((a.split("=", 1)[1] for a in argv if a.startswith("--directory=")), "")
        sdir = _state_dir_of_root(root)
        if sdir and sdir not in live_dirs:
            pid = int(proc.name)
            os.kill(pid, signal.SIGTERM)
            for _ in range(150):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.2)
            else:
                os.kill(pid, signal.SIGKILL)
            actions.append(f"powered off orphan nspawn pid {pid} ({root})")
    # overlay mounts of dead labs
    with open("/proc/self/mounts") as fh:
        mounts = [line.split() for line in fh]
    for fields in mounts:
        if fields[2] != "overlay":
            continue
        sdir = _state_dir_of_root(fields[1])
        if sdir and sdir not in live_dirs and "lowerdir=" in fields[3] and "/rootfs" in fields[3]:
            overlay.unmount(Path(fields[1]))
            actions.append(f"unmounted orphan overlay {fields[1]}")
    # loop devices backed by dead labs' volumes
    out = run(["losetup", "--noheadings", "--list", "--output", "NAME,BACK-FILE"], check=False).stdout
    for line in out.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and "/volumes/" in parts[1]:
            sdir = parts[1].split("/volumes/", 1)[0]
            ours = sdir in dead_dirs or sdir.startswith(str(state_root()) + "/")
            if ours and sdir not in live_dirs:
                volumes.detach({"loop": parts[0], "backing": parts[1].replace(" (deleted)", "")})
                actions.append(f"detached orphan loop {parts[0]} ({parts[1]})")
    # cgroups of dead labs' hosts
    for cg in cgroups.lab_cgroups():
        lab_id, _, host = cg.name.partition("-")
        if lab_id not in live_ids and not cgroups.remove(lab_id, host):
            actions.append(f"removed orphan cgroup {cg}")
    # network namespaces and links named like a lab's
    for ns in network.list_netns("gv-"):
        m = _NETNS_RE.match(ns)
        if m and m.group(1) not in live_ids:
            network.delete_netns(ns)
            actions.append(f"deleted orphan netns {ns}")
    for link in network.list_links("gv"):
        m = _LINK_RE.match(link)
        if m and m.group(1) not in live_ids:
            network.delete_link(link)
            actions.append(f"deleted orphan link {link}")
    return actions
