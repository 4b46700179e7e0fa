#!/usr/bin/env python3
"""Clear (NIST SP 800-88 Rev. 1): overwrite a whole block device with one byte pattern, then
read every byte back and count those that differ. Runs on the host (ansible.builtin.script).

  erase_overwrite.py inspect DEVICE            -> {"size": N, "luks_magic": bool}
  erase_overwrite.py clear DEVICE PATTERN_HEX  -> size, bytes written, bytes verified, mismatches, SHA-256

Verification is a full read-back, not a sample. After the writes the device is fsync'd and its
cached pages dropped (POSIX_FADV_DONTNEED) so the read-back goes to the device.
Prints one JSON object; exit 0 when the command ran (the caller judges the figures).
"""
import hashlib
import json
import os
import sys

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


def clear(dev, pattern):
    block = bytes([pattern]) * BLOCK
    fd = os.open(dev, os.O_RDWR)
    try:
        size = size_of(fd)
        written = 0
        while written < size:
            written += os.pwrite(fd, block[:min(BLOCK, size - written)], written)
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
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
    finally:
        os.close(fd)
    return {"size": size, "written": written, "verified": verified, "mismatched": mismatched,
            "first_mismatch": first, "sha256": h.hexdigest(), "pattern": "%02x" % pattern}


def main():
    mode, dev = sys.argv[1], sys.argv[2]
    if mode == "inspect":
        out = inspect(dev)
    elif mode == "clear":
        out = clear(dev, int(sys.argv[3], 16))
    else:
        sys.stderr.write("usage: erase_overwrite.py inspect|clear DEVICE [PATTERN_HEX]\n")
        sys.exit(2)
    out.update(device=dev, tool="govcloud erase_overwrite.py (Python %d.%d.%d)" % sys.version_info[:3])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
