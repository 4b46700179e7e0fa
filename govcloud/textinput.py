"""Read an input file's text under its size limit: a regular file, UTF-8, no more bytes than allowed.

Both readers (YAML, JSON) start here, so a FIFO, a device, a directory, a file that grows while it
is read, and non-UTF-8 bytes get the same clear errors. Control characters are each format's parser's to
refuse (YAML allows none; JSON none unescaped), with the line and column. A UTF-8 byte order mark
at the start is accepted and dropped (editors on Windows write one; YAML 1.2 and RFC 8259 allow
a reader to ignore it).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from govcloud.errors import InputError
from govcloud.limits import Limits

BOM = "\ufeff"


def read_text(file: str | Path, limits: Limits) -> str:
    """The text of ``file``; ``InputError`` naming the file and what was expected otherwise."""
    path = Path(file)
    return decode(path, read_bytes(path, limits))


def read_bytes(file: str | Path, limits: Limits) -> bytes:
    """The bytes of the regular file ``file``, no more than ``limits`` allow (checked before and after reading:
    a file that grows while it is read is refused too)."""
    path = Path(file)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError.one(path, "", "file not found") from None
    except IsADirectoryError:
        raise InputError.one(path, "", "expected a file, got a directory") from None
    except OSError as exc:
        raise InputError.one(path, "", f"cannot read: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError.one(path, "", "expected a file, got a directory")
        if not stat.S_ISREG(st.st_mode):
            raise InputError.one(path, "", "expected a regular file, got a device, pipe or socket")
        if (why := limits.too_large(st.st_size)) is not None:
            raise InputError.one(path, "", why)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(limits.max_bytes + 1)
    except OSError as exc:
        raise InputError.one(path, "", f"cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    if (why := limits.too_large(len(raw))) is not None:  # it grew while being read
        raise InputError.one(path, "", why)
    return raw


def decode(path: Path, raw: bytes) -> str:
    """UTF-8 text without a leading byte order mark; an invalid byte is an error naming its line and offset."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError.one(path, "", f"expected UTF-8 text; invalid byte 0x{raw[exc.start]:02x} at byte "
                                       f"offset {exc.start}", line) from None
    return text[1:] if text.startswith(BOM) else text
