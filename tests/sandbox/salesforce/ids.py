"""Salesforce record ids: 15-character case-sensitive ids plus the 3-character case-safe suffix.

The sandbox hands out 18-character ids with the real key prefixes (001 Account, 003 Contact, ...)
and accepts 15 or 18 characters wherever Salesforce does (URLs, bodies, SOQL literals).
"""

import itertools
import threading

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
POD = "Hs0"  # two characters of "instance" and one reserved character, as in real ids

_counter = itertools.count(1)
_counter_lock = threading.Lock()


def case_safe_suffix(id15):
    """Return the 3 characters Salesforce appends to a 15-character id.

    For each block of 5 characters, bit i is set when character i is an upper-case letter; the
    resulting 0..31 number indexes SUFFIX_ALPHABET.
    """
    suffix = ""
    for block in range(3):
        chunk = id15[block * 5:block * 5 + 5]
        bits = sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")
        suffix += SUFFIX_ALPHABET[bits]
    return suffix


def _base62(number, width):
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
    return digits.rjust(width, "0")


def new_id(key_prefix):
    """Return a fresh 18-character id with the given 3-character key prefix.

    The counter is process-wide and never reset, so ids stay unique across sandbox resets.
    """
    with _counter_lock:
        number = next(_counter)
    id15 = key_prefix + POD + _base62(number * 7919, 9)
    return id15 + case_safe_suffix(id15)


def to_18(value):
    """Return the 18-character form of a 15- or 18-character id, or None when it is not an id.

    An 18-character value whose suffix does not match its first 15 characters is not an id.
    """
    if not isinstance(value, str) or len(value) not in (15, 18) or not value.isalnum():
        return None
    if not value.isascii():
        return None
    id15 = value[:15]
    full = id15 + case_safe_suffix(id15)
    if len(value) == 18 and value.upper() != full.upper():
        return None
    return full


def key_prefix(value):
    """Return the key prefix (first 3 characters) of an id."""
    return value[:3]
