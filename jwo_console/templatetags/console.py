"""Template filters of the console: ``{% load console %}``."""

import json
import re
from decimal import Decimal

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def json_text(value: object, indent: int | None = 2) -> str:
    """A request or response body as JSON people read (the wire's spelling: ``"purchaseId"``,
    ``null``), not Python's ``{'purchaseId': None}``; text that is not JSON stays as it is."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


@register.filter(name="json")
def json_filter(value: object) -> str:
    return json_text(value)


def percent_text(rate: Decimal | None) -> str:
    """A tax rate kept as a fraction, as the percent people read: 0.07000 → "7", 0.08875 →
    "8.875"."""
    if rate is None:
        return ""
    value = (Decimal(rate) * 100).normalize()
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def percent(rate: Decimal | None) -> str:
    """``{{ line.tax_rate|percent }}`` → "7 %"."""
    return f"{percent_text(rate)} %" if rate is not None and rate != "" else ""


# A path of this site inside free text ("… /financial/reconciliation/runs/7/"): a slash that
# starts a word (after a space, a bracket or the start; not "and/or", "</b>" or "//host"), then
# path characters, ending on a letter, a digit or a slash (a full stop after it ends the
# sentence, not the path).
SITE_PATH = re.compile(r"(?<![^\s(])/(?!/)[A-Za-z0-9_\-./]*[A-Za-z0-9_/]")


@register.filter(needs_autoescape=True)
def link_paths(text: object, autoescape: bool = True) -> SafeString:
    """``{{ alert.detail|link_paths }}``: the text escaped, each path of this site in it a link.
    Only same-site paths of plain characters are linked, so no ``javascript:`` or other host."""
    value = "" if text is None else str(text)
    parts, last = [], 0
    for match in SITE_PATH.finditer(value):
        path = match.group(0)
        parts.append(escape(value[last : match.start()]))
        parts.append(f'<a href="{escape(path)}">{escape(path)}</a>')
        last = match.end()
    parts.append(escape(value[last:]))
    return mark_safe("".join(parts))  # noqa: S308 (every piece is escaped above)
