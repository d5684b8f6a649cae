"""Who may open the pages: a YAML file of users with scrypt-hashed passwords and a role.

    users:
      - name: li.na
        role: steward            # viewer | steward
        password: scrypt$16384$8$1$<salt>$<hash>

`viewer` sees everything masked; `steward` may also reveal one customer's raw contact at a time
(audited). The file is read on every request, so removing a user takes effect at once.
Passwords are hashed with the standard library's scrypt (no plain text anywhere), and compared
in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ROLES = ("viewer", "steward")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 10


class UsersFileError(ValueError):
    """The users file or a user's entry is wrong, with the file and the entry named."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str

    @property
    def may_reveal(self) -> bool:
        return self.role == "steward"


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def load_users(path: Path) -> dict[str, User]:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UsersFileError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    entries = data.get("users", []) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise UsersFileError(f"{path}: expected a mapping with a list `users`")
    users: dict[str, User] = {}
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not {"name", "role", "password"} <= set(entry):
            raise UsersFileError(f"{path}: user #{i} needs name, role and password")
        name, role, password = str(entry["name"]), str(entry["role"]), str(entry["password"])
        if not NAME_PATTERN.match(name):
            raise UsersFileError(f"{path}: user #{i}: name {name!r} may hold letters, digits and . _ @ - only")
        if role not in ROLES:
            raise UsersFileError(f"{path}: user {name!r}: role {role!r} is not one of {list(ROLES)}")
        if not password.startswith("scrypt$"):
            raise UsersFileError(f"{path}: user {name!r}: the password must be a hash written by "
                                 "`huaxiang users add`, never the password itself")
        users[name] = User(name, role, password)
    return users


def save_user(path: Path, name: str, role: str, password: str) -> User:
    """Add the user, or replace their role and password."""
    if not NAME_PATTERN.match(name):
        raise UsersFileError(f"name {name!r} may hold letters, digits and . _ @ - only")
    if role not in ROLES:
        raise UsersFileError(f"role {role!r} is not one of {list(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsersFileError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    users = load_users(path)
    users[name] = User(name, role, hash_password(password))
    _write(path, users)
    return users[name]


def remove_user(path: Path, name: str) -> bool:
    users = load_users(path)
    if users.pop(name, None) is None:
        return False
    _write(path, users)
    return True


def _write(path: Path, users: dict[str, User]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ("# Users of `huaxiang serve`: written by `huaxiang users add`; passwords are scrypt hashes.\n"
            + yaml.safe_dump({"users": [{"name": u.name, "role": u.role, "password": u.password_hash}
                                        for u in sorted(users.values(), key=lambda u: u.name)]},
                             sort_keys=False, allow_unicode=True))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)
