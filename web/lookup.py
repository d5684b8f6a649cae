"""What a person types into the search box, turned into the keys of marts.customer_lookup.

People type a mobile any way (138 1234 5678, +86-138-1234-5678, full-width digits, a trunk 0),
an e-mail, a member or card number, or a name; the lookup mart holds md5 hashes of the E.164
mobile, the e-mail and the name (lower case, no spaces), so the same normalisation and hash
here find them without any raw contact data in the BI copy.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

PHONE_CHARS = re.compile(r"^[\d\s()+\-.]+$")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def mobile_e164(text: str) -> str | None:
    """The E.164 form of a typed phone number, as staging writes it: Chinese mobiles with or
    without +86 / 0086 / a trunk 0; a number typed with + and a country code kept as it is."""
    t = unicodedata.normalize("NFKC", text).strip()
    if not t or not PHONE_CHARS.match(t):
        return None
    digits = re.sub(r"\D", "", t)
    plus = t.startswith("+")
    if digits.startswith("0086"):
        digits, plus = digits[4:], False
    elif plus and digits.startswith("86"):
        digits, plus = digits[2:], False
    elif not plus and digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not plus and len(digits) == 12 and digits.startswith("01"):
        digits = digits[1:]
    if not plus and len(digits) == 11 and digits.startswith("1"):
        return "+86" + digits
    if plus and 8 <= len(digits) <= 15:
        return "+" + digits
    return None


def lookup_keys(text: str) -> list[tuple[str, str]]:
    """(key_type, key_value) pairs to look up, most specific first."""
    t = unicodedata.normalize("NFKC", text).strip()
    if not t:
        return []
    keys: list[tuple[str, str]] = []
    e164 = mobile_e164(t)
    if e164:
        keys.append(("mobile", _md5(e164)))
    if "@" in t:
        keys.append(("email", _md5(t.lower())))
    keys.append(("record", t))
    if not e164 and "@" not in t and not t.isdigit():
        keys.append(("name", _md5(t.lower().replace(" ", ""))))
    return keys
