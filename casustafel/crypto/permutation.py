"""A keyed permutation of small numbers (signal references)."""

import hashlib
import hmac
import secrets

# --- a keyed permutation of small numbers ----------------------------------------------------
# Signal references: the n-th signal of a year gets permute(key, n) instead of n, so a reference
# tells nothing about the order in which signals came in. A balanced Feistel network with
# HMAC-SHA256 rounds over the smallest even bit width that holds the domain, walked until it
# lands inside the domain (cycle walking): a bijection on range(size) for any size.

FEISTEL_ROUNDS = 6


def permute(key: bytes, value: int, size: int) -> int:
    """Map `value` in range(size) to a unique, unpredictable-without-the-key value in range(size)."""
    if not 0 <= value < size:
        raise ValueError("value outside the domain")
    half = max((size - 1).bit_length() + 1, 2) // 2
    mask = (1 << half) - 1
    while True:
        left, right = value >> half, value & mask
        for round_ in range(FEISTEL_ROUNDS):
            digest = hmac.new(key, f"{round_}:{right}".encode(), hashlib.sha256).digest()
            left, right = right, left ^ (int.from_bytes(digest[:8], "big") & mask)
        value = (left << half) | right
        if value < size:
            return value


def new_permutation_key() -> bytes:
    return secrets.token_bytes(32)
