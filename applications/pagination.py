"""Long lists in pages of a fixed size, with the NHS.UK pagination component's links. A page
number that is not a number, or past the end, shows the nearest page rather than an error:
a bookmarked page 7 of a list that has since shrunk still shows something useful."""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


@dataclass
class PageLink:
    number: int | None  # None for an ellipsis
    url: str = ""
    current: bool = False


@dataclass
class Page:
    number: int
    pages: int
    total: int
    first: int  # position (1-based) of the first item on this page
    last: int
    previous_url: str = ""
    next_url: str = ""
    links: list[PageLink] = field(default_factory=list)

    @property
    def paginated(self) -> bool:
        return self.pages > 1


def page_number(params: Any) -> int:
    try:
        return max(int(params.get("page", 1)), 1)
    except (TypeError, ValueError):
        return 1


def page_span(total: int, size: int, requested: int) -> tuple[int, int, int]:
    """The page to show of ``total`` items (the nearest that exists), the number of pages,
    and where the page starts in the list (0-based)."""
    pages = max((total + size - 1) // size, 1)
    number = min(max(requested, 1), pages)
    return number, pages, (number - 1) * size


def paginate(total: int, size: int, requested: int, params: Any, path: str = "") -> Page:
    """Which page to show of ``total`` items, and the links to the others (keeping the
    other query parameters, such as filters)."""
    number, pages, _ = page_span(total, size, requested)

    def url(n: int) -> str:
        query = {k: v for k, v in params.items() if k != "page" and v not in ("", None)}
        if n > 1:
            query["page"] = n
        return f"{path}?{urlencode(query)}" if query else path or "?"

    shown = sorted({1, pages, number - 1, number, number + 1} & set(range(1, pages + 1)))
    links: list[PageLink] = []
    for n in shown:
        if links and links[-1].number is not None and n - links[-1].number > 1:
            links.append(PageLink(None))
        links.append(PageLink(n, url(n), n == number))
    return Page(
        number=number,
        pages=pages,
        total=total,
        first=(number - 1) * size + 1 if total else 0,
        last=min(number * size, total),
        previous_url=url(number - 1) if number > 1 else "",
        next_url=url(number + 1) if number < pages else "",
        links=links,
    )
