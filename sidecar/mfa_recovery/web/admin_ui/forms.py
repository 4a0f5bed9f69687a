"""Reading what the administrator typed: query parameters of lists, and the realm options form. Errors are the
texts shown next to the field, translated."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import request
from flask_babel import gettext as _

from ...admin import inputs
from ...admin.errors import InvalidInput
from ...realm_options.options import CODE_COUNT_MAX, CODE_COUNT_MIN, SETUP_PROMPTS, InvalidRealmOptions
from ..errors import ApiError

MAX_PAGE_NUMBER = 100_000
MAX_QUERY_LENGTH = 255

FieldError = str  # the text shown next to the field

NUMBER_OPTIONS = ("code_count", "warning_threshold")
SWITCH_OPTIONS = (
    "reenrol_otp_after_recovery",
    "email_method_enabled",
    "reenrol_otp_after_email_recovery",
    "desk_four_eyes",
)
# The start of each message of ``RealmOptions.validate``, and the field it is about.
OPTION_MESSAGES = {
    "code count": "code_count",
    "warning threshold": "warning_threshold",
    "setup prompt": "setup_prompt",
    "supervisor attribute": "supervisor_attribute",
}


def page_number() -> int:
    """``?page=`` (1 when absent or not a page number)."""
    raw = request.args.get("page", "")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE_NUMBER else 1


def query_text(name: str) -> str | None:
    """An optional query parameter, one line; blank reads as absent, a very long one (or one that is not a line
    of text) is a 400."""
    try:
        return inputs.search_term(name, request.args.get(name, ""), MAX_QUERY_LENGTH)
    except InvalidInput as exc:
        raise ApiError(400, str(exc)) from None


def day(name: str, errors: dict[str, FieldError], *, end: bool = False) -> datetime | None:
    """A date ``YYYY-MM-DD`` of the query as the UTC moment it starts (``end``: the one after it ends)."""
    raw = query_text(name)
    if raw is None:
        return None
    try:
        start = datetime.combine(date.fromisoformat(raw), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return None
    return start + timedelta(days=1) if end else start


def realm_options(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, FieldError]]:
    """The options as the service takes them, and the errors of fields that are not even of the right kind."""
    values: dict[str, Any] = {}
    errors: dict[str, FieldError] = {}
    for name in NUMBER_OPTIONS:
        raw = form.get(name, "").strip()
        if raw.isdigit() and len(raw) <= 4:
            values[name] = int(raw)
        else:
            errors[name] = _("Enter a whole number.")
    prompt = form.get("setup_prompt", "")
    if prompt in SETUP_PROMPTS:
        values["setup_prompt"] = prompt
    else:
        errors["setup_prompt"] = _("Choose one of the options.")
    for name in SWITCH_OPTIONS:
        values[name] = form.get(name) == "on"
    values["supervisor_attribute"] = form.get("supervisor_attribute", "").strip()
    return values, errors


def realm_options_error(exc: InvalidRealmOptions, values: Mapping[str, Any]) -> dict[str, FieldError]:
    """The service's refusal, next to the field it is about (the first field found wrong)."""
    message = str(exc)
    field = next((name for start, name in OPTION_MESSAGES.items() if message.startswith(start)), "form")
    if field == "code_count":
        text = _("Enter a number from %(min)s to %(max)s.", min=CODE_COUNT_MIN, max=CODE_COUNT_MAX)
    elif field == "warning_threshold":
        highest = max(0, int(values.get("code_count") or CODE_COUNT_MIN) - 1)
        text = _("Enter a number from 0 to %(max)s (less than the number of codes).", max=highest)
    elif field == "setup_prompt":
        text = _("Choose one of the options.")
    elif field == "supervisor_attribute":
        text = _("Use at most 64 letters, digits, '_', '.' or '-'.")
    else:
        text = _("The options could not be saved. Check them and try again.")
    return {field: text}
