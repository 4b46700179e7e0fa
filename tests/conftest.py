"""Shared fixtures: real Debian 12 test hosts (govcloud.labhosts).

`lab_base` builds (or reuses) the debootstrap base once per session; `lab` and
`module_lab_factory` boot hosts and always tear them down, also on failure or
Ctrl-C. On a machine that cannot boot hosts (not root, no systemd-nspawn), host
tests FAIL with the reason: a skip would prove nothing in CI.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from govcloud.labhosts import BaseImage, Lab, LabError, ensure_base, preflight


def pytest_configure(config: pytest.Config) -> None:
    # A CI timeout sends SIGTERM: turn it into KeyboardInterrupt so fixture teardown runs.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        def _term(signum: int, frame: object) -> None:
            raise KeyboardInterrupt("SIGTERM")
        signal.signal(signal.SIGTERM, _term)


def _progress(config: pytest.Config):
    """Progress lines straight to the terminal (past output capture): a build takes ~1 min."""
    reporter = config.pluginmanager.getplugin("terminalreporter")
    capture = config.pluginmanager.getplugin("capturemanager")

    def say(line: str) -> None:
        if reporter is None:
            return
        if capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"[labhosts] {line}")
        else:
            reporter.write_line(f"[labhosts] {line}")
    return say


@pytest.fixture(scope="session")
def lab_base(pytestconfig: pytest.Config) -> BaseImage:
    """The cached Debian 12 base image (built with debootstrap on first use, ~1 min)."""
    try:
        preflight()
        return ensure_base(progress=_progress(pytestconfig))
    except LabError as exc:
        pytest.fail(f"lab test hosts unavailable: {exc}", pytrace=False)


class LabFactory:
    """Boots labs on demand and stops every one of them at teardown."""

    def __init__(self, base: BaseImage, config: pytest.Config):
        self.base = base
        self.config = config
        self.labs: list[Lab] = []

    def __call__(self, n: int | None = None, **kwargs: object) -> Lab:
        try:
            lab = Lab.start(n, base=self.base, progress=_progress(self.config), **kwargs)  # type: ignore[arg-type]
        except LabError as exc:
            pytest.fail(f"lab boot failed: {exc}", pytrace=False)
        self.labs.append(lab)
        return lab

    def stop_all(self) -> list[str]:
        problems: list[str] = []
        for lab in reversed(self.labs):
            problems += lab.stop()
        return problems


@pytest.fixture
def lab(lab_base: BaseImage, pytestconfig: pytest.Config) -> Iterator[LabFactory]:
    """Factory: `lab(3, names=[...], groups={...})` boots a lab, torn down after the test."""
    factory = LabFactory(lab_base, pytestconfig)
    yield factory
    problems = factory.stop_all()
    assert not problems, f"lab teardown problems: {problems}"


@pytest.fixture(scope="module")
def module_lab_factory(lab_base: BaseImage, pytestconfig: pytest.Config) -> Iterator[LabFactory]:
    """Like `lab`, but labs live for the whole test module (share boots between tests)."""
    factory = LabFactory(lab_base, pytestconfig)
    yield factory
    problems = factory.stop_all()
    assert not problems, f"lab teardown problems: {problems}"
