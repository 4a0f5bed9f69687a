"""Reading Keycloak's pages with Beautiful Soup: an attribute that holds one value."""

from __future__ import annotations

from bs4 import Tag


def attribute(tag: Tag, name: str, default: str | None = None) -> str:
    """The value of ``tag``'s attribute ``name``, or ``default`` when it has none; fails when there is neither.
    (Beautiful Soup gives a multi-valued attribute such as ``class`` as a list; the attributes read here hold one.)"""
    value = tag.get(name, default)
    assert isinstance(value, str), f"<{tag.name}> has no single {name!r} attribute: {value!r}"
    return value
