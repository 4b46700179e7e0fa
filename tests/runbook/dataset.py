"""A generated data set on a host: thousands of small files and a few large ones (seeded, so the
same arguments give the same bytes), written by python3 on the host itself."""

from __future__ import annotations

import shlex

GENERATE = r"""
import os, random, sys
root, small, large, large_mb, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
lo, hi = (int(sys.argv[6]), int(sys.argv[7])) if len(sys.argv) > 7 else (200, 8000)
rng = random.Random(seed)
total = 0
for i in range(small):
    d = os.path.join(root, "docs", "%02d" % (i % 40))
    os.makedirs(d, exist_ok=True)
    size = rng.randint(lo, hi)
    with open(os.path.join(d, "case-%05d.txt" % i), "wb") as fh:
        fh.write(rng.randbytes(size))
    total += size
os.makedirs(os.path.join(root, "archive"), exist_ok=True)
for i in range(large):
    with open(os.path.join(root, "archive", "bundle-%d.bin" % i), "wb") as fh:
        for _ in range(large_mb):
            fh.write(rng.randbytes(1 << 20))
    total += large_mb << 20
print(total)
"""


def generate_command(root: str, *, small: int, large: int, large_mb: int, seed: int = 7,
                     small_bytes: tuple[int, int] = (200, 8000)) -> str:
    """A shell command (run it with ssh) that writes the data set as root and prints its bytes.

    Small files are uniformly ``small_bytes`` (low, high) long; the default averages ~4 KiB."""
    lo, hi = small_bytes
    return f"sudo -n python3 - {shlex.quote(root)} {small} {large} {large_mb} {seed} {int(lo)} {int(hi)}"
