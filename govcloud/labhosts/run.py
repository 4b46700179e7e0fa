"""Run external commands with clear errors and optional line-by-line progress."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import LabError

log = logging.getLogger("govcloud.labhosts")

Progress = Callable[[str], None]


def run(
    cmd: Sequence[str | Path],
    *,
    check: bool = True,
    input_text: str | None = None,
    timeout: float | None = 600,
) -> subprocess.CompletedProcess[str]:
    """Run `cmd`, capture output; raise LabError naming the command if it fails."""
    argv = [str(c) for c in cmd]
    log.debug("run: %s", " ".join(argv))
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, input=input_text, timeout=timeout,
            stdin=None if input_text is not None else subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise LabError(f"command not found: {argv[0]} (needed for: {' '.join(argv)})") from exc
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"timed out after {timeout}s: {' '.join(argv)}") from exc
    if check and proc.returncode != 0:
        raise LabError(
            f"command failed (exit {proc.returncode}): {' '.join(argv)}\n"
            f"{(proc.stderr or proc.stdout).strip()[-2000:]}"
        )
    return proc


def run_streaming(
    cmd: Sequence[str | Path], progress: Progress, *, prefix: str = "", env: dict[str, str] | None = None
) -> None:
    """Run `cmd`, passing each output line to `progress`; raise LabError with the tail on failure."""
    argv = [str(c) for c in cmd]
    tail: list[str] = []
    try:
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, bufsize=1, env=env,
        )
    except FileNotFoundError as exc:
        raise LabError(f"command not found: {argv[0]}") from exc
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        if not line:
            continue
        tail = (tail + [line])[-30:]
        progress(prefix + line)
    rc = proc.wait()
    if rc != 0:
        raise LabError(f"command failed (exit {rc}): {' '.join(argv)}\n" + "\n".join(tail))
