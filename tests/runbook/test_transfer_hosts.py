"""Verified transfer between two booted hosts: kill mid-transfer and resume, a changed byte found
and repaired, an unreachable target, a target volume too small (articles 1-2)."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govcloud.runbook.engine.errors import StepFailed
from govcloud.runbook.engine.journal import read_journal, step_states
from govcloud.runbook.remote.transfer import compare, make_manifest, rsync, verify_target

from .conftest import DATA, SOURCE, TARGET

pytestmark = pytest.mark.hosts

REPO = Path(__file__).resolve().parents[2]
RUNBOOK = REPO / "playbooks/runbooks/file-transfer.yaml"


def cli(mlab, run_dir: Path, target_path: str, *extra: str, bwlimit: int = 0, wait: bool = True):
    args = [sys.executable, "-m", "govcloud.cli", "runbook", "run", str(RUNBOOK), "--run-dir", str(run_dir),
            "--param", "system=litigation", "--param", f"inventory={mlab.inventory}",
            "--param", f"source={SOURCE}", "--param", f"target={TARGET}", "--param", f"source_path={DATA}",
            "--param", f"target_path={target_path}", "--param", f"bwlimit={bwlimit}", *extra]
    env = {**os.environ, "GOVCLOUD_LOCK_DIR": str(run_dir.parent / "locks"), "COLUMNS": "200"}
    if not wait:
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO)
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)


def agents() -> list[str]:
    """Live ssh-agents started by the transfer (their socket dirs are named govcloud-agent-*)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if cmd.startswith("ssh-agent -D -a ") and "/govcloud-agent-" in cmd:
                found.append(f"{proc.name}: {cmd}")
    return found


def target_file_bytes(mlab, root: str) -> int:
    out = mlab.lab.ssh(TARGET, f"sudo find {root} -type f -printf '%s\\n' 2>/dev/null || true").stdout
    return sum(int(x) for x in out.split())


def test_kill_mid_transfer_then_resume(mlab, tmp_path):
    run_dir, dest = tmp_path / "run", "/srv/migrated-kill"
    proc = cli(mlab, run_dir, dest, bwlimit=4000, wait=False)
    deadline = time.monotonic() + 120
    while target_file_bytes(mlab, dest) < 0.3 * mlab.data_bytes:
        assert proc.poll() is None, f"the run ended before the kill: {proc.stdout.read()}"
        assert time.monotonic() < deadline, "transfer did not reach 30% in 120 s"
        time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(1)
    # nothing keeps sending behind the dead process
    assert mlab.lab.ssh(SOURCE, "pgrep -x rsync", check=False).returncode == 1, "rsync survived the kill"
    assert not agents(), "the ssh-agent holding the forwarded key survived the kill"
    before = make_manifest(mlab.target, dest)
    arrived = before.total_bytes
    complete = {f.path for f in compare(mlab.source_manifest, before)} ^ {f.path for f in mlab.source_manifest.files}
    assert 0.3 * mlab.data_bytes <= arrived < mlab.data_bytes and complete, (arrived, len(complete))
    states = step_states(read_journal(run_dir).records)
    assert states["files-transfer"]["state"] == "started"

    t0 = time.monotonic()
    r = cli(mlab, run_dir, dest, "--resume", bwlimit=4000)
    resume_s = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    assert "files-manifest (article-2): verified earlier — not run again" in r.stdout
    states = step_states(read_journal(run_dir).records)
    for done in ("files-tools", "files-manifest"):
        assert states[done]["attempts"] == 1 and states[done]["skips"] == 1, (done, states[done])
    assert states["files-transfer"]["attempts"] == 2 and states["files-transfer"]["state"] == "verified"
    report = json.loads((run_dir / "transfer-report.json").read_text())["rsync"]
    remaining = mlab.data_bytes - arrived
    # what had arrived is not sent again: literal data is at most what was missing (+ rsync's block slack)
    assert report["literal_bytes"] <= remaining + 256 * 1024, (report, remaining)
    assert not complete & set(report["changed"]), "a file complete before the kill was sent again"
    assert verify_target(mlab.source_manifest, mlab.target, dest) == []
    print(f"\nkill/resume: data {mlab.data_bytes} B, arrived before kill {arrived} B, resume sent "
          f"{report['literal_bytes']} B literal + {report['matched_bytes']} B matched from the partial file, "
          f"{resume_s:.1f} s")


def flip_byte(mlab, path: str, offset: int = 100) -> None:
    """Change one byte in place, keeping size and mtime (so only content comparison can see it)."""
    script = ("import os,sys;p=sys.argv[1];st=os.stat(p);f=open(p,'r+b');f.seek(%d);b=f.read(1);f.seek(%d);"
              "f.write(bytes([b[0]^1]));f.close();os.utime(p,ns=(st.st_atime_ns,st.st_mtime_ns))" % (offset, offset))
    mlab.lab.ssh(TARGET, f"sudo python3 -c \"{script}\" {path}")


def test_one_byte_changed_is_named_and_exactly_it_repaired(mlab, tmp_path):
    dest = "/srv/migrated-flip"
    r = cli(mlab, tmp_path / "run1", dest)
    assert r.returncode == 0, r.stdout + r.stderr
    victim = "docs/07/case-00007.txt"
    flip_byte(mlab, f"{dest}/{victim}")
    diffs = verify_target(mlab.source_manifest, mlab.target, dest)
    assert [(d.path, d.problem) for d in diffs] == [(victim, "sha256")]
    assert victim in str(diffs[0])
    # a re-run: rsync's quick check sends nothing, the manifest finds the file, only it is re-sent
    r = cli(mlab, tmp_path / "run2", dest)
    assert r.returncode == 0, r.stdout + r.stderr
    rep = json.loads((tmp_path / "run2/transfer-report.json").read_text())
    assert rep["rsync"]["files_transferred"] == 0
    assert rep["differences_after_rsync"] == [str(diffs[0])]
    assert rep["repair"]["changed"] == [victim] and rep["repair"]["files_transferred"] == 1
    assert verify_target(mlab.source_manifest, mlab.target, dest) == []
    end = [r for r in read_journal(tmp_path / "run2").records if r["event"] == "step-end"][-1]
    assert end["detail"]["action"]["repaired"] == [victim]


def test_unreachable_target_fails_naming_host_and_step(mlab, tmp_path):
    run_dir = tmp_path / "run"
    veth = next(h.veth for h in mlab.lab.record.hosts if h.name == TARGET)
    subprocess.run(["ip", "link", "set", veth, "down"], check=True)
    try:
        r = cli(mlab, run_dir, "/srv/never")
    finally:
        subprocess.run(["ip", "link", "set", veth, "up"], check=True)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "files-tools (article-2): failed:" in r.stdout and f"unreachable: host {TARGET}" in r.stdout
    states = step_states(read_journal(run_dir).records)
    assert states["files-tools"]["state"] == "failed"
    assert f"unreachable: host {TARGET}" in json.dumps(states["files-tools"]["detail"])
    assert "files-transfer" not in states, "the run went on past the failed step"
    assert make_manifest(mlab.source, DATA).files == mlab.source_manifest.files, "the source was changed"
    # link back: the same run resumes at the failed step and completes
    r = cli(mlab, run_dir, "/srv/never", "--resume")
    assert r.returncode == 0, r.stdout + r.stderr
    assert verify_target(mlab.source_manifest, mlab.target, "/srv/never") == []


def test_target_volume_too_small(mlab, tmp_path):
    vol = mlab.lab.attach_volume(TARGET, 16, device_name="vdsmall")
    mlab.lab.ssh(TARGET, f"sudo mkfs.ext4 -q {vol.device} && sudo mkdir -p /srv/small && sudo mount {vol.device} /srv/small")
    run_dir = tmp_path / "run"
    r = cli(mlab, run_dir, "/srv/small/data")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "/srv/small/data has" in r.stdout and "larger data volume" in r.stdout
    states = step_states(read_journal(run_dir).records)
    assert states["files-transfer"]["state"] == "failed" and states["files-transfer"]["evidence"] == []
    assert target_file_bytes(mlab, "/srv/small") == 0, "bytes were sent to a volume that cannot hold them"
    st = subprocess.run([sys.executable, "-m", "govcloud.cli", "runbook", "status", str(run_dir), "--format", "json"],
                        capture_output=True, text=True, cwd=REPO)
    status = json.loads(st.stdout)
    assert status["state"] == "failed" and status["next_step"] == "files-transfer" and status["verified"] == 2


def test_unexpected_target_host_key_is_refused(mlab, tmp_path):
    """The source's hop to the target pins the target's host key (StrictHostKeyChecking=yes, a
    known_hosts holding only the lab's record of the target): another key is refused, nothing sent."""
    assert mlab.target.known_hosts is not None and mlab.source.known_hosts is not None  # from the lab inventory
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True)
    keytype, key = (tmp_path / "other.pub").read_text().split()[:2]
    lines = [ln for ln in mlab.target.known_hosts.read_text().splitlines() if not ln.startswith(f"{TARGET},")]
    (tmp_path / "known_hosts").write_text("\n".join([*lines, f"{TARGET},{mlab.target.address} {keytype} {key}"]) + "\n")
    impostor = dataclasses.replace(mlab.target, known_hosts=tmp_path / "known_hosts")
    hop_files = "ls /tmp/govcloud-known-hosts.* 2>/dev/null"
    left_before = mlab.lab.ssh(SOURCE, hop_files, check=False).stdout  # a SIGKILLed run may leave one
    with pytest.raises(StepFailed) as exc:
        rsync(mlab.source, impostor, DATA, "/srv/hostkey")
    assert f"host {TARGET} ({mlab.target.address}): the SSH host key it presented to {SOURCE} is not the known one" \
        in str(exc.value) and "Host key verification failed" in str(exc.value)
    assert mlab.lab.ssh(TARGET, "sudo test -e /srv/hostkey", check=False).returncode == 1, "data was sent"
    assert mlab.lab.ssh(SOURCE, hop_files, check=False).stdout == left_before, "the hop's known_hosts file was left"
    # no known key at all: refused before anything runs on the source
    with pytest.raises(StepFailed, match=f"host {TARGET} .*no known SSH host key"):
        rsync(mlab.source, dataclasses.replace(mlab.target, known_hosts=None), DATA, "/srv/hostkey")
    # the lab's own record of the key: the same hop goes through
    st = rsync(mlab.source, mlab.target, DATA + "/archive", "/srv/hostkey")
    assert st.files_transferred == 3


def test_temporary_files_a_killed_run_left_are_swept_after_a_day(mlab):
    """rsync() removes its temporary files on the source; a run killed hard cannot, so each transfer
    first removes those older than a day and leaves younger ones (another run may be starting)."""
    stale = ["/tmp/govcloud-known-hosts.stale1", "/tmp/govcloud-files.stale2"]
    fresh = "/tmp/govcloud-known-hosts.fresh3"
    mlab.lab.ssh(SOURCE, f"touch -d '2 days ago' {' '.join(stale)} && touch {fresh}")
    try:
        st = rsync(mlab.source, mlab.target, DATA + "/archive", "/srv/sweep")
        assert st.files_transferred == 3
        left = mlab.lab.ssh(SOURCE, "ls /tmp | grep '^govcloud-' || true").stdout.split()
        assert not {p.rsplit("/", 1)[1] for p in stale} & set(left), left
        assert "govcloud-known-hosts.fresh3" in left, left
    finally:
        mlab.lab.ssh(SOURCE, f"rm -f {fresh} {' '.join(stale)}; sudo rm -rf /srv/sweep")
