"""Blind-index width from the expected number of values (CipherSweet's planner rule).

With R indexed values and an index of L bits, a lookup expects C = R / 2^L coincidences: rows
that carry the same index but another value, decrypted and thrown away. CipherSweet's
FieldIndexPlanner keeps C between 2 (fewer: the index is close to a unique identifier of the
value, so equality and frequency leak nearly exactly) and √R (more: the index no longer narrows
the search). Here the widest width with C ≥ 2 is chosen: fewest candidates to decrypt while every
index value is still shared by about two to four values. (CipherSweet's own upper bound,
⌈log2(R / 2)⌉, allows 1 < C < 2 when R is not a power of two; this rule is one bit stricter.)

docs/security.md "Blind-index leakage" has the table for 10 000, 100 000 and 1 000 000 values.
"""

import math

MIN_BITS = 8  # blind_index() truncates to 8..63 bits (a signed 64-bit column)
MAX_BITS = 63
MIN_EXPECTED_VALUES = 2 * 2**MIN_BITS  # below 512 values even 8 bits give C < 2


class BlindIndexPlanError(ValueError):
    """A width or expected number of values outside the safe range; the message says which."""


def coincidences(expected_values: int, bits: int) -> float:
    """Expected coincidences per value: R / 2^L."""
    return expected_values / 2**bits


def safe_range(expected_values: int) -> tuple[int, int]:
    """(lowest, highest) width with √R ≥ C ≥ 2 for R expected values, within 8..63 bits."""
    if not isinstance(expected_values, int) or isinstance(expected_values, bool) \
            or expected_values < MIN_EXPECTED_VALUES:
        raise BlindIndexPlanError(
            f"Verwacht aantal waarden voor de blinde indexen moet minstens {MIN_EXPECTED_VALUES} zijn "
            f"(gegeven: {expected_values!r}): bij minder waarden is zelfs een index van {MIN_BITS} bits "
            "bijna uniek per waarde"
        )
    high = min(MAX_BITS, math.floor(math.log2(expected_values / 2)))
    while coincidences(expected_values, high) < 2:  # float rounding at exact powers of two
        high -= 1
    low = max(MIN_BITS, math.ceil(math.log2(expected_values) / 2))
    return min(low, high), high


def choose_bits(expected_values: int) -> int:
    """The widest safe width: the fewest candidates per lookup with C ≥ 2."""
    return safe_range(expected_values)[1]


def check_bits(bits: int, expected_values: int) -> int:
    """Return `bits` when it lies in the safe range for `expected_values`; else BlindIndexPlanError."""
    low, high = safe_range(expected_values)
    if not isinstance(bits, int) or isinstance(bits, bool) or not low <= bits <= high:
        raise BlindIndexPlanError(
            f"Blinde-indexbreedte {bits!r} bits valt buiten het veilige bereik {low}–{high} bits bij "
            f"{expected_values} verwachte waarden (CipherSweet: 2 ≤ C ≤ √R met C = R / 2^bits). Meer bits "
            "maken de index bijna uniek per waarde; minder bits laten elke zoekvraag te veel rijen ontsleutelen."
        )
    return bits
