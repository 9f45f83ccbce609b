"""Who may do what: API keys with two roles (read, admin), checked in constant time, and a per-key rate limit.

Plain Python; app.py turns the outcome into 401/403/429 responses."""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from service.errors import ForbiddenError, RateLimitedError, UnauthorizedError

HOW_TO_SEND = "send the header 'Authorization: Bearer <key>' with a key the administrator gave you"


class Role(StrEnum):
    READ = "read"
    ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    role: Role
    # A short, one-way id of the key for rate limits and logs; the key itself is never stored or logged.
    key_id: str


def _keys(listed: str) -> tuple[bytes, ...]:
    return tuple(key.strip().encode() for key in listed.split(",") if key.strip())


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:10]


class Keys:
    """The configured keys. With none configured the API is open and every caller is an admin."""

    def __init__(self, read_keys: str, admin_keys: str) -> None:
        self.admin = _keys(admin_keys)
        self.read = _keys(read_keys)

    @property
    def open(self) -> bool:
        return not (self.admin or self.read)

    def caller(self, authorization: str | None, client: str = "") -> Caller:
        """The caller behind an Authorization header; raises UnauthorizedError when keys are required and the
        header is missing, malformed or names no configured key."""
        if self.open:
            return Caller(Role.ADMIN, f"open:{client}")
        if not authorization:
            raise UnauthorizedError(f"this server requires an API key; {HOW_TO_SEND}")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise UnauthorizedError(f"the Authorization header is not of the form 'Bearer <key>'; {HOW_TO_SEND}")
        given = key.strip().encode()
        # Every configured key is compared, each in constant time, so timing tells nothing about which matched.
        is_admin = any([hmac.compare_digest(given, k) for k in self.admin])
        is_reader = any([hmac.compare_digest(given, k) for k in self.read])
        if not (is_admin or is_reader):
            raise UnauthorizedError(f"the API key is not valid; {HOW_TO_SEND}")
        return Caller(Role.ADMIN if is_admin else Role.READ, key_id(key.strip()))


def require_admin(caller: Caller) -> None:
    if caller.role is not Role.ADMIN:
        raise ForbiddenError("this action needs an admin key (AFTALER_ADMIN_KEYS); the key sent may only read")


class RateLimiter:
    """At most `per_minute` requests per caller in any sliding 60-second window; 0 switches it off."""

    WINDOW = 60.0

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, caller_id: str, now: float | None = None) -> None:
        if self.per_minute <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(caller_id, deque())
            while seen and seen[0] <= now - self.WINDOW:
                seen.popleft()
            if len(seen) >= self.per_minute:
                retry = max(1, math.ceil(seen[0] + self.WINDOW - now))
                raise RateLimitedError(
                    f"more than {self.per_minute} requests in a minute from this key (AFTALER_RATE_LIMIT); "
                    f"try again in {retry} s",
                    retry_after=retry,
                )
            seen.append(now)
