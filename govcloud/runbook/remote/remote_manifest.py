"""The SHA-256 manifest of every regular file under ROOT, computed *on the host that holds the files*.

Not imported by govcloud: ``transfer.py`` sends this file's text to ``python3 -c`` over SSH (the
hosts have python3 and nothing else, so standard library only). Articles 1-2 and 58-59: the
manifest is the proof that data arrived whole.

    python3 -c "$SCRIPT" ROOT once [WORKERS]
        hash every file now, WORKERS processes in parallel (0: one per CPU); print the manifest.
    python3 -c "$SCRIPT" ROOT watch [WORKERS]
        hash files while rsync writes them, until a line ``done`` arrives on stdin (EOF without it:
        exit at once, the caller died); then a final pass lists every file again and hashes anew
        each file not hashed yet or whose stat (inode, size, mtime, ctime) differs from the stat it
        had when it was hashed. ctime is set by the kernel on every write and cannot be set from
        user space, so an unchanged stat proves the bytes hashed are the bytes on disk now.

The manifest is complete either way: every regular file under ROOT at the end, read from the
disk after its last change. Files rsync is still writing (its temporary ``.name.XXXXXX`` files)
and files changed in the last second are left to the final pass.
"""

import hashlib
import json
import os
import resource
import select
import stat
import sys
import time
from concurrent.futures import ProcessPoolExecutor

CHUNK = 1 << 20
SETTLE_S = 1.0  # while watching, a file changed more recently than this waits for the final pass


def stat_key(st):
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def digest(path):
    """(stat key, size, sha256 hex) of a regular file; None if it is not one, vanished, or changed while read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with open(fd, "rb", buffering=0) as fh:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            return None
        h = hashlib.sha256()
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while True:
            n = fh.readinto(buf)
            if not n:
                break
            h.update(view[:n])
        after = os.fstat(fd)
    if stat_key(before) != stat_key(after):
        return None
    return stat_key(after), after.st_size, h.hexdigest()


def listing(root, skip=None):
    """(relative path, path, lstat) of every regular file under root, symlinks not followed;
    names in ``skip`` (relative paths) are listed without a stat (None)."""
    out = []
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            entries = list(os.scandir(d))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                stack.append(e.path)
                continue
            rel = os.path.relpath(e.path, root)
            if skip is not None and rel in skip:
                out.append((rel, e.path, None))
                continue
            try:
                st = e.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISREG(st.st_mode):
                out.append((rel, e.path, st))
    return out


def hash_all(paths, workers):
    if workers > 1 and len(paths) > 1:
        with ProcessPoolExecutor(workers) as pool:
            return list(pool.map(digest, paths, chunksize=max(1, min(64, len(paths) // (workers * 8)))))
    return [digest(p) for p in paths]


def rsync_temp(name):
    return name.startswith(".") and len(name) > 8 and name[-7] == "."


def final_pass(root, done, workers):
    """Hash what is new or changed since it was hashed; returns (files, hashed now)."""
    current = listing(root) if os.path.isdir(root) else []
    todo = [(rel, p) for rel, p, st in current if rel not in done or done[rel][0] != stat_key(st)]
    for (rel, p), r in zip(todo, hash_all([p for _, p in todo], workers)):
        if r is None:
            r = digest(p)  # once more: it changed while being hashed
        if r is None:
            if os.path.lexists(p):
                sys.stderr.write("file keeps changing or cannot be read: %s\n" % p)
                sys.exit(4)
            continue
        done[rel] = r
    names = {rel for rel, _, _ in current}
    files = [{"path": rel, "size": done[rel][1], "sha256": done[rel][2]} for rel in sorted(names) if rel in done]
    return files, len(todo)


class Watcher:
    """Hashes settled files under root; a directory whose ctime has not moved since a scan that left
    nothing pending is not listed again (its files were all hashed; the final pass re-checks them)."""

    def __init__(self, root):
        self.root, self.prefix = root, root.rstrip("/") + "/"
        self.done = {}
        self.clean = {}  # directory -> its ctime_ns (never set back, unlike mtime) when a scan left nothing pending
        self.subdirs = {}
        self.streamed = 0

    def sweep(self):
        now = time.time()
        stack = [self.root]
        while stack:
            d = stack.pop()
            try:
                dst = os.lstat(d)
            except FileNotFoundError:
                continue
            if self.clean.get(d) == dst.st_ctime_ns:
                stack.extend(self.subdirs.get(d, ()))
                continue
            try:
                entries = list(os.scandir(d))
            except (FileNotFoundError, NotADirectoryError):
                continue
            pending, subdirs = False, []
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    subdirs.append(e.path)
                    continue
                rel = e.path[len(self.prefix):]
                if rel in self.done:
                    continue
                if rsync_temp(e.name):
                    pending = True
                    continue
                try:
                    st = e.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue
                if now - st.st_ctime < SETTLE_S:
                    pending = True
                    continue
                r = digest(e.path)
                if r is None:
                    pending = True
                else:
                    self.done[rel] = r
                    self.streamed += 1
            self.subdirs[d] = subdirs
            if not pending:
                self.clean[d] = dst.st_ctime_ns
            stack.extend(subdirs)


def watch(root, workers):
    """Hash files as they land until ``done`` arrives on stdin; None if stdin closed without it."""
    w = Watcher(root)
    buf = b""
    while True:
        if os.path.isdir(root):
            w.sweep()
        ready, _, _ = select.select([sys.stdin.buffer], [], [], 0.5)
        if ready:
            chunk = os.read(sys.stdin.fileno(), 64)
            buf += chunk
            if b"done" in buf:
                return w.done, w.streamed
            if not chunk:
                return None, w.streamed


def main(argv):
    root, mode = argv[1], argv[2]
    workers = int(argv[3]) if len(argv) > 3 else 0
    workers = workers or os.cpu_count() or 1
    t0 = time.monotonic()
    if mode == "once":
        if not os.path.isdir(root):
            sys.stderr.write("not a directory: %s\n" % root)
            sys.exit(3)
        files, hashed = final_pass(root, {}, workers)
        info = {"mode": "once", "workers": workers, "hashed": hashed}
    elif mode == "watch":
        done, streamed = watch(root, workers)
        if done is None:
            sys.exit(5)
        t1 = time.monotonic()
        files, hashed = final_pass(root, done, workers)
        info = {"mode": "watch", "workers": workers, "hashed_while_streaming": streamed,
                "hashed_in_final_pass": hashed, "final_pass_seconds": round(time.monotonic() - t1, 3)}
    else:
        sys.stderr.write("mode: expected once or watch, got %s\n" % mode)
        sys.exit(2)
    info["seconds"] = round(time.monotonic() - t0, 3)
    own = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    info["cpu_seconds"] = round(sum(r.ru_utime + r.ru_stime for r in own), 3)
    json.dump({"root": root, "files": files, "hashing": info}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
