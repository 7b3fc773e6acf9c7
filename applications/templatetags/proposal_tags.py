from django import template
from django.utils import timezone

from ..models import ProposalState

register = template.Library()

S = ProposalState
# NHS.UK tag colours for a proposal's state: blue while with NHS England, orange when the CCG
# has something to do, green when agreed, red when refused, grey when closed or not started.
STATE_COLOURS = {
    S.DRAFT: "grey",
    S.SUBMITTED: "blue",
    S.RESUBMITTED: "blue",
    S.UNDER_REVIEW: "blue",
    S.CHANGES_REQUESTED: "orange",
    S.RECOMMENDED: "aqua-green",
    S.NOT_RECOMMENDED: "yellow",
    S.DEFERRED: "yellow",
    S.APPROVED: "green",
    S.APPROVED_WITH_CONDITIONS: "green",
    S.RECORDED: "green",
    S.LIVE: "green",
    S.NOT_APPROVED: "red",
    S.DECLINED: "red",
    S.WITHDRAWN: "grey",
    S.LAPSED: "grey",
}


@register.filter
def state_colour(state: str) -> str:
    return STATE_COLOURS.get(state, "grey")


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


def nhs_time(moment) -> str:
    """NHS.UK style: 9am, 11:59pm, midnight, midday."""
    if moment.hour == 0 and moment.minute == 0:
        return "midnight"
    if moment.hour == 12 and moment.minute == 0:
        return "midday"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


@register.filter
def nhs_datetime(value, style: str = "long") -> str:
    """An aware datetime in London time, as '5 January 2015, 11:59pm' ('5 Jan 2015, ...'
    with style 'short')."""
    if not value:
        return ""
    local = timezone.localtime(value)
    month = "%b" if style == "short" else "%B"
    return f"{local.strftime(f'%-d {month} %Y')}, {nhs_time(local)}"
