#!/usr/bin/env python3
"""Clear (NIST SP 800-88 Rev. 1): overwrite a whole block device with one byte pattern, then
read every byte back and count those that differ. Runs on the host.

  erase_overwrite.py inspect DEVICE            -> {"size": N, "luks_magic": bool}
  erase_overwrite.py clear DEVICE PATTERN_HEX [--state FILE --token T] [--rate MIB_PER_S]
      -> size, bytes written, bytes verified, mismatches, SHA-256

Verification is a full read-back, not a sample. After the writes the device is fsync'd and its
cached pages dropped (POSIX_FADV_DONTNEED) so the read-back goes to the device.
Prints one JSON object; exit 0 when the command ran (the caller judges the figures).

With --state, the progress is kept in FILE (replaced atomically about once a second: token, phase
write|read, bytes done, size, started) and the result is written there too, with phase "done".
erase-volume.yml runs `clear` as a transient systemd unit and polls FILE, so an overwrite of many
hours outlives the controller's connection, and a resumed run finds it by its token instead of
starting again. --rate caps the throughput of both passes (shared storage).
"""
import hashlib
import json
import os
import sys
import time

BLOCK = 1 << 20


def size_of(fd):
    return os.lseek(fd, 0, os.SEEK_END)


def inspect(dev):
    fd = os.open(dev, os.O_RDONLY)
    try:
        size = size_of(fd)
        head = os.pread(fd, 6, 0)
    finally:
        os.close(fd)
    return {"size": size, "luks_magic": head == b"LUKS\xba\xbe"}


class Progress:
    """The state file: replaced atomically, at most about once a second (and at every phase end)."""

    def __init__(self, path, token, size, rate):
        self.path, self.token, self.size = path, token, size
        self.rate = rate * BLOCK if rate else 0
        self.started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.t0 = self.phase_t0 = time.monotonic()
        self.last = 0.0

    def write(self, doc):
        if not self.path:
            return
        tmp = "%s.%d.tmp" % (self.path, os.getpid())
        with open(tmp, "w") as fh:
            json.dump(dict(doc, token=self.token, started=self.started, pid=os.getpid()), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def phase(self, name):
        self.phase_t0 = time.monotonic()
        self.tick(name, 0, force=True)

    def tick(self, phase, done, force=False):
        if self.rate:  # hold this pass to `rate` bytes a second
            ahead = done / self.rate - (time.monotonic() - self.phase_t0)
            if ahead > 0:
                time.sleep(ahead)
        now = time.monotonic()
        if force or now - self.last >= 1.0:
            self.last = now
            self.write({"phase": phase, "done_bytes": done, "size": self.size,
                        "seconds": round(now - self.t0, 1)})


def clear(dev, pattern, progress=None):
    block = bytes([pattern]) * BLOCK
    fd = os.open(dev, os.O_RDWR)
    try:
        size = size_of(fd)
        if progress is not None:
            progress.size = size
            progress.phase("write")
        written = 0
        while written < size:
            written += os.pwrite(fd, block[:min(BLOCK, size - written)], written)
            if progress is not None:
                progress.tick("write", written)
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        if progress is not None:
            progress.phase("read")
        h = hashlib.sha256()
        verified = mismatched = 0
        first = None
        while verified < size:
            chunk = os.pread(fd, min(BLOCK, size - verified), verified)
            if not chunk:
                break
            h.update(chunk)
            if chunk != block[:len(chunk)]:
                bad = len(chunk) - chunk.count(bytes([pattern]))
                if first is None:
                    first = verified + next(i for i, b in enumerate(chunk) if b != pattern)
                mismatched += bad
            verified += len(chunk)
            if progress is not None:
                progress.tick("read", verified)
    finally:
        os.close(fd)
    return {"size": size, "written": written, "verified": verified, "mismatched": mismatched,
            "first_mismatch": first, "sha256": h.hexdigest(), "pattern": "%02x" % pattern}


def option(args, name, default=None):
    if name in args:
        i = args.index(name)
        return args[i + 1]
    return default


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("inspect", "clear") or (sys.argv[1] == "clear" and len(sys.argv) < 4):
        sys.stderr.write("usage: erase_overwrite.py inspect DEVICE | clear DEVICE PATTERN_HEX "
                         "[--state FILE --token T] [--rate MIB_PER_S]\n")
        sys.exit(2)
    mode, dev = sys.argv[1], sys.argv[2]
    tool = "govcloud erase_overwrite.py (Python %d.%d.%d)" % sys.version_info[:3]
    if mode == "inspect":
        out = dict(inspect(dev), device=dev, tool=tool)
    else:
        rest = sys.argv[4:]
        progress = Progress(option(rest, "--state"), option(rest, "--token", ""), 0, float(option(rest, "--rate", 0)))
        out = dict(clear(dev, int(sys.argv[3], 16), progress), device=dev, tool=tool)
        progress.write(dict(out, phase="done", seconds=round(time.monotonic() - progress.t0, 1)))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
