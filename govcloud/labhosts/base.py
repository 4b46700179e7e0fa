"""Build (once) and cache the Debian 12 root filesystem every lab host overlays.

The base is a debootstrap minbase with systemd, sshd, sudo and python3, the admin
user `govadmin` (key injected per lab at boot, so the base holds no secret), and
the .debs of `playbooks/lab-packages.txt` pre-downloaded with their apt lists so
hosts, which have no network, install them offline.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import paths
from .errors import LabError
from .run import Progress, log, run_streaming

SUITE = "bookworm"
MIRROR = os.environ.get("GOVCLOUD_LAB_MIRROR", "http://deb.debian.org/debian")
SECURITY_MIRROR = os.environ.get("GOVCLOUD_LAB_SECURITY_MIRROR", "http://deb.debian.org/debian-security")
INCLUDE: tuple[str, ...] = (
    "python3", "python3-apt", "systemd", "systemd-sysv", "dbus", "openssh-server",
    "sudo", "procps", "iproute2", "ca-certificates", "apt-utils",
    # priority "important" on a real Debian server; nftables needs netbase's /etc/protocols
    "netbase", "kmod", "cron", "logrotate",
)
ADMIN_USER = "govadmin"
#: Bump when the build recipe changes, so cached bases are rebuilt.
RECIPE_VERSION = "3"


@dataclass(frozen=True)
class BaseImage:
    """A built base: `rootfs` is the lower dir every host overlays."""

    key: str
    root: Path
    suite: str
    include: tuple[str, ...]
    packages: tuple[str, ...]
    built_seconds: float = 0.0
    reused: bool = False

    @property
    def rootfs(self) -> Path:
        return self.root / "rootfs"


@dataclass(frozen=True)
class BaseSpec:
    """What a base is built from; its hash is the cache key."""

    suite: str = SUITE
    include: tuple[str, ...] = INCLUDE
    packages_file: Path = field(default_factory=paths.packages_file)

    def packages(self) -> tuple[str, ...]:
        return tuple(paths.read_package_list(self.packages_file))

    def key(self) -> str:
        text = self.packages_file.read_text(encoding="utf-8") if self.packages_file.exists() else ""
        blob = json.dumps(
            {"suite": self.suite, "include": sorted(self.include), "packages_file": text,
             "recipe": RECIPE_VERSION, "mirror": MIRROR},
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@contextmanager
def _locked(cache: Path) -> Iterator[None]:
    """Serialise builds across processes (two engineers, or pytest-xdist)."""
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_base(
    spec: BaseSpec | None = None, *, cache: Path | None = None, progress: Progress | None = None,
    rebuild: bool = False,
) -> BaseImage:
    """Return the cached base for `spec`, building it first if missing (or `rebuild`)."""
    spec = spec or BaseSpec()
    cache = cache or paths.cache_dir()
    say = progress or log.info
    key = spec.key()
    root = cache / f"base-{key}"
    with _locked(cache):
        meta = root / "base.json"
        if meta.exists() and not rebuild:
            data = json.loads(meta.read_text())
            say(f"lab base: reusing {root} (built {data.get('built_at')}, {data.get('built_seconds')} s)")
            return BaseImage(key, root, spec.suite, spec.include, spec.packages(),
                             data.get("built_seconds", 0.0), reused=True)
        if root.exists():
            shutil.rmtree(root)
        return _build(spec, key, root, say)


def _build(spec: BaseSpec, key: str, root: Path, say: Progress) -> BaseImage:
    for tool in ("debootstrap", "chroot", "unshare"):
        if shutil.which(tool) is None:
            raise LabError(f"lab base: `{tool}` not found; install the packages in deps/apt-test.txt")
    if os.geteuid() != 0:
        raise LabError("lab base: building with debootstrap needs root")
    packages = spec.packages()
    tmp = root.with_name(root.name + ".build")
    if tmp.exists():
        shutil.rmtree(tmp)
    rootfs = tmp / "rootfs"
    rootfs.mkdir(parents=True)
    t0 = time.monotonic()
    say(f"lab base: debootstrap {spec.suite} minbase into {rootfs} (key {key}, ~1 min)")
    run_streaming(
        ["debootstrap", "--variant=minbase", "--components=main",
         f"--include={','.join(spec.include)}", spec.suite, rootfs, MIRROR],
        _debootstrap_filter(say), prefix="  debootstrap: ",
    )
    say(f"lab base: debootstrap done in {time.monotonic() - t0:.0f} s; configuring")
    _write_config(rootfs, spec.suite)
    say(f"lab base: apt-get update and pre-download of {len(packages)} lab packages "
        f"from {spec.packages_file}")
    run_streaming(["unshare", "-m", "--propagation", "private", "sh", "-euc", _CHROOT_SCRIPT,
                   "build", str(rootfs), ADMIN_USER, " ".join(packages)],
                  _apt_filter(say), prefix="  chroot: ")
    seconds = round(time.monotonic() - t0, 1)
    debs = len(list((rootfs / "var/cache/apt/archives").glob("*.deb")))
    image = BaseImage(key, root, spec.suite, spec.include, packages, seconds)
    meta = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(image).items()}
    meta.update(built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), debs_cached=debs,
                packages_file=str(spec.packages_file))
    (tmp / "base.json").write_text(json.dumps(meta, indent=2) + "\n")
    tmp.rename(root)
    say(f"lab base: ready in {seconds} s at {root} ({debs} .debs cached for offline installs)")
    return image


def _debootstrap_filter(say: Progress) -> Progress:
    """Keep debootstrap's stage lines (I:/W:/E:), drop the per-package noise except every 20th."""
    count = {"n": 0}

    def emit(line: str) -> None:
        body = line.split("debootstrap: ", 1)[-1]
        if body.startswith(("I: Retrieving", "I: Validating", "I: Unpacking", "I: Configuring")):
            count["n"] += 1
            if count["n"] % 25:
                return
        say(line)
    return emit


def _apt_filter(say: Progress) -> Progress:
    def emit(line: str) -> None:
        body = line.split("chroot: ", 1)[-1]
        if body.startswith(("Get:", "Hit:", "Ign:")) and not body.startswith("Get:1 "):
            return
        say(line)
    return emit


def _write_config(rootfs: Path, suite: str) -> None:
    """Files the hosts need to boot and be managed offline."""
    etc = rootfs / "etc"
    (etc / "apt/sources.list").write_text(
        f"deb {MIRROR} {suite} main\n"
        f"deb {MIRROR} {suite}-updates main\n"
        f"deb {SECURITY_MIRROR} {suite}-security main\n"
    )
    (etc / "apt/apt.conf.d/99govcloud-lab").write_text(
        '// govcloud lab host: no network; packages come pre-downloaded.\n'
        'APT::Periodic::Enable "0";\n'
        'APT::Keep-Downloaded-Packages "true";\n'
        'Binary::apt::APT::Keep-Downloaded-Packages "true";\n'
        'Acquire::Languages "none";\n'
    )
    (etc / "hosts").write_text("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
    (etc / "hostname").write_text("labhost\n")
    # Packages must not start daemons inside the build chroot.
    policy = rootfs / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    shutil.copyfile("/etc/resolv.conf", etc / "resolv.conf")


# Runs inside `unshare -m`: mounts vanish with the namespace even if the build dies.
_CHROOT_SCRIPT = r"""
R="$1"; ADMIN="$2"; PKGS="$3"
mount -t proc proc "$R/proc"
mount --rbind /dev "$R/dev"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
chroot "$R" apt-get -q update
if [ -n "$PKGS" ]; then
  chroot "$R" apt-get -q -y --download-only install $PKGS
fi
chroot "$R" useradd --create-home --shell /bin/bash --groups sudo \
  --comment "govcloud lab admin" "$ADMIN"
chroot "$R" usermod -p '*' "$ADMIN"
install -d -m 0700 "$R/home/$ADMIN/.ssh"
chroot "$R" chown "$ADMIN:$ADMIN" "/home/$ADMIN/.ssh"
printf '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' "$ADMIN" > "$R/etc/sudoers.d/90-govcloud-lab-admin"
chmod 0440 "$R/etc/sudoers.d/90-govcloud-lab-admin"
chroot "$R" visudo -cf /etc/sudoers.d/90-govcloud-lab-admin
for unit in apt-daily.timer apt-daily-upgrade.timer; do
  ln -sf /dev/null "$R/etc/systemd/system/$unit"
done
rm -f "$R"/etc/ssh/ssh_host_*
: > "$R/etc/machine-id"
: > "$R/etc/resolv.conf"
rm -f "$R/usr/sbin/policy-rc.d"
echo "base configured: admin user $ADMIN, $(ls "$R/var/cache/apt/archives" | grep -c '\.deb$') debs cached"
"""


def prune_bases(in_use: set[str], *, cache: Path | None = None, spec: BaseSpec | None = None) -> list[Path]:
    """Delete cached bases other than the current one that no lab uses (`in_use`: rootfs paths)."""
    cache = cache or paths.cache_dir()
    current = cache / f"base-{(spec or BaseSpec()).key()}"
    removed = []
    with _locked(cache):
        for root in sorted(cache.glob("base-*")):
            if root == current or str(root / "rootfs") in in_use or not root.is_dir():
                continue
            shutil.rmtree(root, ignore_errors=True)
            removed.append(root)
    return removed
