"""Read the figures a page shows: every table cell marked data-figure, by table id, row key
(the row's first data-* attribute) and figure name, as the text a person reads."""

import csv
import io
import json
from html.parser import HTMLParser

VOID = {"br", "img", "input", "meta", "link", "hr", "col", "source", "wbr", "area", "base"}


class _Figures(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.figures: dict[tuple[str, str, str], str] = {}
        self.counts: dict[tuple[str, str, str], int] = {}
        self._open: list[tuple[tuple[str, str, str], list[str]]] = []

    def _context(self) -> tuple[str, str]:
        table = next((a.get("id", "") for t, a in reversed(self.stack) if t == "table"), "")
        row = next((a for t, a in reversed(self.stack) if t == "tr"), {})
        key = next((v for k, v in row.items() if k.startswith("data-")), "")
        return table, key or ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in VOID:
            return
        self.stack.append((tag, attributes))
        if "data-figure" in attributes:
            table, row = self._context()
            key = (table, row, attributes["data-figure"])
            self._open.append((key, []))
            if "data-count" in attributes:
                self.counts[key] = int(attributes["data-count"])

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack:
            open_tag, attributes = self.stack.pop()
            if "data-figure" in attributes and self._open:
                key, parts = self._open.pop()
                self.figures[key] = " ".join("".join(parts).split())
            if open_tag == tag:
                break

    def handle_data(self, data):
        for _, parts in self._open:
            parts.append(data)


def figures(html: str) -> dict[tuple[str, str, str], str]:
    parser = _Figures()
    parser.feed(html)
    return parser.figures


def counts(html: str) -> dict[tuple[str, str, str], int]:
    """The data-count of cells that show a count with a percentage (heat map, cross tables)."""
    parser = _Figures()
    parser.feed(html)
    return parser.counts


def number(text: str) -> int:
    return int(text.replace(",", "").split()[0])


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def json_body(content: bytes) -> dict:
    return json.loads(content.decode("utf-8"))
