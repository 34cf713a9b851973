"""Server-side SVG charts: the data points are in the markup, a screen reader gets a title and
a description, and nothing is loaded from elsewhere (no script, no external reference)."""

from __future__ import annotations

import datetime as dt
import re
from xml.etree import ElementTree

from django.utils.safestring import SafeString

from careplans.charts import line_over_time, scores_over_time

PHQ9_BANDS = [
    (0, 4, "Minimal"),
    (5, 9, "Mild"),
    (10, 14, "Moderate"),
    (15, 19, "Moderately severe"),
    (20, 27, "Severe"),
]
POINTS = [(dt.date(2025, 1, 6), 18), (dt.date(2025, 2, 3), 13), (dt.date(2025, 3, 3), 7)]


def _values(svg: str) -> list[str]:
    return re.findall(r'<desc class="value">([^<]*)</desc>', svg)


def test_scores_over_time_is_svg_with_the_points() -> None:
    svg = scores_over_time("PHQ-9", POINTS, y_max=27, bands=PHQ9_BANDS)
    assert isinstance(svg, SafeString)
    assert svg.startswith("<svg")
    ElementTree.fromstring(svg)  # noqa: S314 - well-formed (our own markup)
    assert _values(svg) == ["18", "13", "7"]
    for label in ("01/06/2025", "02/03/2025", "03/03/2025"):
        assert label in svg
    for band in ("Minimal", "Moderately severe", "Severe"):
        assert band in svg


def test_no_script_and_nothing_external() -> None:
    svg = scores_over_time("PHQ-9", POINTS, y_max=27, bands=PHQ9_BANDS)
    assert "<script" not in svg
    assert "<!--" not in svg
    assert "@import" not in svg and "url(http" not in svg and "href=" not in svg
    # The SVG namespace is the only address left, and it is a name, not a fetch.
    assert re.findall(r"https?://[^\"'\s<]*", svg) == ["http://www.w3.org/2000/svg"]


def test_accessible_title_and_description() -> None:
    svg = scores_over_time("GAD-7", POINTS, y_max=21, bands=[(0, 4, "Minimal"), (5, 21, "More")])
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own markup
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    title, desc = root[0], root[1]
    assert title.tag == f"{ns}title" and title.text == "GAD-7"
    assert desc.tag == f"{ns}desc"
    assert desc.text is not None
    assert "3 dates" in desc.text and "latest 7" in desc.text and "More" in desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_line_over_time_is_general() -> None:
    svg = line_over_time(
        "Nights housed per month",
        [(dt.date(2025, 1, 31), 4.5), (dt.date(2025, 2, 28), 20)],
        "Nights housed",
        description="From 4.5 to 20 nights.",
    )
    assert "From 4.5 to 20 nights." in svg
    assert _values(svg) == ["4.5", "20"]
    assert "Nights housed per month" in svg


def test_no_points_still_renders() -> None:
    svg = scores_over_time("AUDIT-C", [], y_max=12)
    assert svg.startswith("<svg") and "<script" not in svg
    assert "No total score recorded yet." in svg


def test_two_charts_have_different_ids() -> None:
    first = scores_over_time("PHQ-9", POINTS, y_max=27)
    second = scores_over_time("PHQ-9", POINTS, y_max=27)
    ids = lambda svg: set(re.findall(r'id="([^"]+)"', svg))  # noqa: E731
    assert not ids(first) & ids(second)
