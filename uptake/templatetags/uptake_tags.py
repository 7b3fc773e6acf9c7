from decimal import ROUND_HALF_UP, Decimal

from django import template

DASH = "\N{EN DASH}"  # what a table shows for no figure

register = template.Library()


@register.filter
def number(value) -> str:
    """12345 -> '12,345'; a Decimal average is rounded to a whole number first."""
    if value is None or value == "":
        return DASH
    whole = int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"{whole:,}"


@register.filter
def one_decimal(value) -> str:
    if value is None or value == "":
        return DASH
    return str(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@register.filter
def pct(value) -> str:
    return DASH if value is None else f"{value}%"


@register.filter
def iso_date(value: str) -> str:
    """'2015-04-01' -> '1 Apr 2015'."""
    import datetime as dt

    if not value:
        return ""
    return f"{dt.date.fromisoformat(value):%-d %b %Y}"
