"""API keys, roles and the per-key rate limit (plain Python; the HTTP side is in test_access_e2e.py)."""

from __future__ import annotations

import pytest

from service.access import Keys, RateLimiter, Role, key_id, require_admin
from service.errors import ForbiddenError, RateLimitedError, UnauthorizedError

KEYS = Keys(read_keys="reader-1, reader-2", admin_keys="admin-1")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "requires an API key"),
        ("", "requires an API key"),
        ("reader-1", "not of the form 'Bearer <key>'"),
        ("Basic reader-1", "not of the form 'Bearer <key>'"),
        ("Bearer ", "not of the form 'Bearer <key>'"),
        ("Bearer reader-3", "not valid"),
        ("Bearer admin-", "not valid"),
    ],
)
def test_a_missing_malformed_or_unknown_key_is_refused_with_how_to_send_one(header, message):
    with pytest.raises(UnauthorizedError, match=message) as error:
        KEYS.caller(header)
    assert "Authorization: Bearer <key>" in str(error.value)


@pytest.mark.parametrize(
    ("header", "role"),
    [("Bearer reader-1", Role.READ), ("bearer reader-2", Role.READ), ("Bearer admin-1", Role.ADMIN)],
)
def test_a_configured_key_gets_its_role(header, role):
    assert KEYS.caller(header).role is role


def test_the_caller_is_known_by_a_one_way_key_id_not_the_key():
    caller = KEYS.caller("Bearer admin-1")
    assert (caller.key_id, "admin-1" in caller.key_id) == (key_id("admin-1"), False)


def test_without_keys_the_api_is_open_and_everyone_may_write():
    open_keys = Keys("", " , ")
    assert (open_keys.open, open_keys.caller(None, "10.0.0.1").role) == (True, Role.ADMIN)


def test_a_read_key_may_not_write():
    with pytest.raises(ForbiddenError, match="needs an admin key"):
        require_admin(KEYS.caller("Bearer reader-1"))


def test_the_rate_limit_refuses_the_request_over_the_limit_with_the_seconds_to_wait():
    limiter = RateLimiter(per_minute=3)
    for second in (0.0, 1.0, 2.0):
        limiter.check("k", now=second)
    with pytest.raises(RateLimitedError, match="more than 3 requests") as refused:
        limiter.check("k", now=10.0)
    assert refused.value.retry_after == 50


def test_the_rate_limit_counts_each_key_apart_and_forgets_after_a_minute():
    limiter = RateLimiter(per_minute=1)
    limiter.check("a", now=0.0)
    limiter.check("b", now=0.0)
    limiter.check("a", now=60.5)
    with pytest.raises(RateLimitedError):
        limiter.check("b", now=30.0)


def test_a_rate_limit_of_zero_is_off():
    limiter = RateLimiter(per_minute=0)
    for _ in range(1000):
        limiter.check("k", now=0.0)
    assert limiter.per_minute == 0
