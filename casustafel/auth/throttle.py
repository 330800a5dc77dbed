"""Login throttling that stops guessing without letting anyone lock a colleague out.

- Failures are counted per (account, address) pair: whoever fails in someone's name from their
  own desk blocks only that desk for that account.
- A slower count of failures per account, from every address together, stops distributed
  guessing. Once it is reached, only addresses the account has logged in from before may still
  try, so the holder keeps logging in at their own desk.
- After many failures the holder gets a content-free e-mail (once per window).

Only failed attempts count; the right password is never refused because of someone else. The
counters live in the rate-limit storage (Redis in production, shared by every worker).
"""

import hashlib

from flask import current_app
from limits import parse_many

from casustafel.extensions import limiter

KNOWN_ADDRESS_DAYS = 90


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _limiter():
    return limiter.limiter


def _storage():
    return limiter.storage


def _items(setting: str):
    return parse_many(current_app.config[setting])


def _pair(account: str, address: str) -> tuple[str, str]:
    return "login-pair", _digest(f"{account}\n{address}")


def _account(account: str) -> tuple[str, str]:
    return "login-account", _digest(account)


def _known_key(account: str, address: str) -> str:
    return "login-known/" + _digest(f"{account}\n{address}")


def is_known_address(account: str, address: str) -> bool:
    return bool(_storage().get(_known_key(account, address)))


def refused(account: str, address: str) -> bool:
    """Whether this attempt must wait: too many failures for this account from this address,
    or for this account from everywhere (unless the account logged in here before)."""
    limiter = _limiter()
    if not all(limiter.test(item, *_pair(account, address)) for item in _items("LOGIN_LIMIT_PER_ACCOUNT")):
        return True
    account_ok = all(limiter.test(item, *_account(account)) for item in _items("LOGIN_LIMIT_ACCOUNT_WIDE"))
    return not account_ok and not is_known_address(account, address)


def failed(account: str, address: str) -> bool:
    """Count a failure. Return True when it is the one that crosses the warning threshold, so
    the holder is told once per window."""
    limiter = _limiter()
    for item in _items("LOGIN_LIMIT_PER_ACCOUNT"):
        limiter.hit(item, *_pair(account, address))
    for item in _items("LOGIN_LIMIT_ACCOUNT_WIDE"):
        limiter.hit(item, *_account(account))
    warn = parse_many(current_app.config["LOGIN_WARN_AFTER"])[0]
    return limiter.hit(warn, *_account(account)) and not limiter.test(warn, *_account(account))


def succeeded(account: str, address: str) -> None:
    """Remember the address as the account's own."""
    _storage().incr(_known_key(account, address), KNOWN_ADDRESS_DAYS * 86400)
