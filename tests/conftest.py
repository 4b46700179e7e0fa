"""Shared fixtures: real Debian 12 test hosts (govcloud.labhosts).

`lab_base` builds (or reuses) the debootstrap base once per session; `lab` and
`module_lab_factory` boot hosts and always tear them down, also on failure or
Ctrl-C. On a machine that cannot boot hosts (not root, no systemd-nspawn), host
tests FAIL with the reason: a skip would prove nothing in CI.

A rule the suite holds: a test that uses a lab fixture (directly or through another fixture)
carries the `hosts` marker, so `pytest -m "not hosts"` runs without root and boots nothing. A test
that breaks it fails before any fixture is set up (`pytest_collection_modifyitems` below).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from govcloud.labhosts import BaseImage, Lab, LabError, ensure_base, preflight


#: the fixtures that boot (or build) test hosts; every other lab fixture depends on one of them
LAB_FIXTURES = frozenset({"lab_base", "lab", "module_lab_factory", "mlab", "pglab", "xlab", "hardened"})
_UNMARKED = pytest.StashKey[str]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark for failure every test that reaches a lab fixture without the `hosts` marker.

    `item.fixturenames` is the test's whole fixture closure, so a fixture that depends on `lab_base`
    (the hardened lab, a module's own lab) counts. Runs before `-m` deselects anything: an unmarked
    test would not be deselected by `-m "not hosts"` and would boot hosts."""
    for item in items:
        used = sorted(LAB_FIXTURES.intersection(getattr(item, "fixturenames", ())))
        if used and item.get_closest_marker("hosts") is None:
            item.stash[_UNMARKED] = (
                f"{item.nodeid} uses the lab fixture(s) {', '.join(used)} but has no `hosts` marker: add "
                "`pytestmark = pytest.mark.hosts` (or @pytest.mark.hosts) so `pytest -m \"not hosts\"` boots nothing")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail an unmarked lab test before its fixtures are set up (no host is booted for it)."""
    why = item.stash.get(_UNMARKED, None)
    if why is not None:
        pytest.fail(why, pytrace=False)


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
