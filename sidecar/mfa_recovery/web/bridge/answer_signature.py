"""Signing the bridge API's 200 answers (docs/architecture.md, "The answer signature"): one hook for every
bridge endpoint, run after every other hook so the signed bytes are the bytes sent."""

from __future__ import annotations

from flask import g
from werkzeug.wrappers import Response

from ...bridge_auth.answers import SIGNATURE_HEADER, sign_answer
from ..context import services


def sign_bridge_answer(response: Response) -> Response:
    """A 200 answer to a call whose bridge token was verified gets ``MFA-Recovery-Signature`` over the token's
    ``jti`` and the body. Anything else goes out unsigned: the bridge accepts no answer without a signature."""
    jti = g.get("bridge_jti")
    if jti is None or response.status_code != 200:
        return response
    response.headers[SIGNATURE_HEADER] = sign_answer(services().settings.answer_signing_key, jti, response.get_data())
    return response
