"""The manifest script the hosts run (govcloud/runbook/remote_manifest.py), run here on real files
with the local python3: digests equal hashlib's, the watch mode's final pass re-hashes a file
changed after it was hashed, and a watcher whose caller died exits without a manifest."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from govcloud.runbook.remote.transfer import MANIFEST_SCRIPT


def run(root: Path, mode: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", MANIFEST_SCRIPT, str(root), mode, "2"], input=stdin,
                          capture_output=True, text=True, timeout=60)


def tree(root: Path) -> dict[str, bytes]:
    files = {"a/x.txt": b"hello\n", "a/b/big.bin": os.urandom(3 << 20), "c.txt": b"", ".hidden": b"dot"}
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (root / "link").symlink_to("c.txt")
    return files


def test_once_hashes_every_regular_file(tmp_path):
    files = tree(tmp_path)
    r = run(tmp_path, "once")
    assert r.returncode == 0, r.stderr
    got = {f["path"]: (f["size"], f["sha256"]) for f in json.loads(r.stdout)["files"]}
    assert got == {rel: (len(d), hashlib.sha256(d).hexdigest()) for rel, d in files.items()}  # no symlink


def test_watch_rehashes_a_file_changed_after_it_was_hashed(tmp_path):
    files = tree(tmp_path)
    old = time.time() - 60
    for rel in files:
        os.utime(tmp_path / rel, (old, old))
    p = subprocess.Popen([sys.executable, "-c", MANIFEST_SCRIPT, str(tmp_path), "watch", "2"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)  # hashed while "streaming" (ctime older than the settle time)
    st = os.stat(tmp_path / "a/x.txt")
    with open(tmp_path / "a/x.txt", "r+b") as fh:  # same size, mtime put back: only ctime moves
        fh.write(b"J")
    os.utime(tmp_path / "a/x.txt", ns=(st.st_atime_ns, st.st_mtime_ns))
    (tmp_path / "new.txt").write_bytes(b"late")
    out, err = p.communicate("done\n", timeout=60)
    assert p.returncode == 0, err
    doc = json.loads(out)
    got = {f["path"]: f["sha256"] for f in doc["files"]}
    assert got["a/x.txt"] == hashlib.sha256(b"Jello\n").hexdigest()
    assert got["new.txt"] == hashlib.sha256(b"late").hexdigest()
    assert doc["hashing"]["hashed_while_streaming"] >= 3 and doc["hashing"]["hashed_in_final_pass"] == 2, doc["hashing"]


def test_watch_without_done_exits_without_a_manifest(tmp_path):
    tree(tmp_path)
    r = run(tmp_path, "watch", stdin="")
    assert r.returncode == 5 and r.stdout == ""
