import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from mfa_recovery.bridge_auth.tokens import BridgeClaims, InvalidBridgeToken, verify_bridge_token
from mfa_recovery.services import Services

from .support import BRIDGE_SECRET, REALM, USER_ID, FakeClock

PATH = "/bridge/v1/backup-codes/verify"


class MemoryGuard:
    def __init__(self) -> None:
        self.seen: dict[str, datetime] = {}

    def remember(self, jti: str, expires_at: datetime) -> bool:
        if jti in self.seen:
            return False
        self.seen[jti] = expires_at
        return True


def check(token: str, clock: FakeClock, guard: object | None = None, path: str = PATH, method: str = "POST"):
    return verify_bridge_token(
        token,
        secret=BRIDGE_SECRET,
        method=method,
        path=path,
        replay_guard=guard or MemoryGuard(),  # type: ignore[arg-type]
        now=clock(),
    )


def refused(token: str, clock: FakeClock, **kwargs: object) -> str:
    with pytest.raises(InvalidBridgeToken) as info:
        check(token, clock, **kwargs)  # type: ignore[arg-type]
    return info.value.reason


def test_valid_token(make_token: Callable[..., str], clock: FakeClock) -> None:
    guard = MemoryGuard()
    claims = check(make_token(att="root.tab", jti="j-1"), clock, guard)
    assert claims == BridgeClaims(realm=REALM, user_id=USER_ID, attempt="root.tab", jti="j-1")
    assert guard.seen["j-1"] > clock()


def test_wrong_secret(make_token: Callable[..., str], clock: FakeClock) -> None:
    assert "Signature" in refused(make_token(secret="another-secret-of-at-least-32-bytes!!"), clock)


def _unsigned(claims: dict[str, object], alg: str = "none") -> str:
    def b64(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}."


def test_alg_none_is_refused(make_token: Callable[..., str], clock: FakeClock) -> None:
    import jwt

    claims = jwt.decode(make_token(), options={"verify_signature": False})
    refused(_unsigned(claims), clock)
    refused(_unsigned(claims, alg="None"), clock)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_other_hmac_algorithm_is_refused(make_token: Callable[..., str], clock: FakeClock) -> None:
    refused(make_token(algorithm="HS512"), clock)


def test_expired(make_token: Callable[..., str], clock: FakeClock) -> None:
    token = make_token()
    clock.advance(30 + 6)
    assert refused(token, clock) == "token expired"


def test_leeway_of_five_seconds(make_token: Callable[..., str], clock: FakeClock) -> None:
    token = make_token()
    clock.advance(30 + 4)
    check(token, clock)


def test_issued_in_the_future(make_token: Callable[..., str], clock: FakeClock) -> None:
    token = make_token()
    clock.advance(-10)
    assert refused(token, clock) == "token issued in the future"


def test_lifetime_over_60_seconds(make_token: Callable[..., str], clock: FakeClock) -> None:
    check(make_token(lifetime=60), clock)
    assert "lifetime" in refused(make_token(lifetime=61), clock)
    assert "lifetime" in refused(make_token(lifetime=3600), clock)


@pytest.mark.parametrize(
    ("claim", "value"),
    [("aud", "someone-else"), ("iss", "someone-else"), ("aud", ["mfa-recovery-sidecar", "x"])],
)
def test_wrong_audience_or_issuer(make_token: Callable[..., str], clock: FakeClock, claim: str, value: object) -> None:
    refused(make_token(**{claim: value}), clock)


def test_wrong_htu_or_htm(make_token: Callable[..., str], clock: FakeClock) -> None:
    assert "htu" in refused(make_token(path="/bridge/v1/recovery/start"), clock)
    assert "htm" in refused(make_token(htm="GET"), clock)


def test_replayed_jti(make_token: Callable[..., str], clock: FakeClock) -> None:
    guard = MemoryGuard()
    token = make_token()
    check(token, clock, guard)
    assert refused(token, clock, guard=guard) == "jti replayed"


@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "realm", "att", "htm", "htu", "iat", "exp", "jti"])
def test_missing_claim(make_token: Callable[..., str], clock: FakeClock, claim: str) -> None:
    reason = refused(make_token(drop=(claim,)), clock)
    assert claim in reason


@pytest.mark.parametrize(("claim", "value"), [("sub", ""), ("realm", 7), ("jti", None), ("iat", "1")])
def test_wrong_claim_types(make_token: Callable[..., str], clock: FakeClock, claim: str, value: object) -> None:
    refused(make_token(**{claim: value}), clock)


def test_garbage(clock: FakeClock) -> None:
    refused("", clock)
    refused("not.a.jwt", clock)
    refused("x" * 5000, clock)


def test_store_replay_guard_is_shared_and_purged(services: Services, clock: FakeClock) -> None:
    guard = services.replay_guard
    expires = clock() + timedelta(seconds=40)
    assert guard.remember("jti-a", expires)
    assert not guard.remember("jti-a", expires)
    assert guard.purge_expired() == 0
    clock.advance(41)
    assert guard.purge_expired() == 1
    assert guard.remember("jti-a", clock() + timedelta(seconds=40))
