"""Money as ``Decimal`` in yuan, rounded to the fen only where the contract rounds (article 17)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def to_fen(amount: Decimal) -> Decimal:
    """Round half-up to the fen (0.01 yuan)."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def fmt_yuan(amount: Decimal) -> str:
    """``5983667.2`` → ``5,983,667.20``."""
    return f"{to_fen(amount):,.2f}"


def plain(amount: Decimal) -> str:
    """A decimal as a plain string with two places, for JSON (``"5983667.20"``)."""
    return f"{to_fen(amount):.2f}"


def number(value: Decimal) -> str:
    """A quantity as a plain string without exponent or trailing zeros (``"1.5"``, ``"1800"``)."""
    text = format(value.normalize(), "f")
    return text


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL = ["", "拾", "佰", "仟"]
_BIG = ["", "万", "亿", "万亿"]


def _four(n: int) -> str:
    """A group of up to four digits in capitals, with inner zeros as 零."""
    out, zero = "", False
    for pos in range(3, -1, -1):
        d = (n // 10**pos) % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + _SMALL[pos]
    return out


def words_zh(amount: Decimal) -> str:
    """Amount in Chinese financial capitals as printed in article 17 (大写), e.g. ``人民币伍佰玖拾捌万…贰角``."""
    fen_total = int(to_fen(amount) * 100)
    if fen_total < 0:
        raise ValueError("negative amount")
    yuan, jiao, fen = fen_total // 100, (fen_total // 10) % 10, fen_total % 10
    groups = []
    n = yuan
    while n:
        groups.append(n % 10000)
        n //= 10000
    text, pending_zero = "", False
    for idx in range(len(groups) - 1, -1, -1):
        g = groups[idx]
        if g == 0:
            pending_zero = bool(text)
            continue
        if text and (pending_zero or g < 1000):
            text += "零"
        text += _four(g) + _BIG[idx]
        pending_zero = False
    if yuan:
        text += "元"
    if jiao == 0 and fen == 0:
        return "人民币" + (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    return "人民币" + text
