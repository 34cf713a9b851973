"""Charts drawn on the server as SVG (pygal): no JavaScript, no external file, readable by a
screen reader through the SVG's title and description. Pages show the same numbers in a table
beside each chart, so nothing is told by the picture or by colour alone."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree

import pygal
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from pygal.style import Style

#: Dark text on white, and line colours with at least 4.5:1 contrast against white.
CHART_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#595f66",
    opacity="1",
    opacity_hover="1",
    stroke_opacity="1",
    stroke_opacity_hover="1",
    stroke_width=3,
    stroke_width_hover=4,
    colors=("#0b5ed7", "#6f42c1", "#146c43", "#b02a37", "#7a4a00"),
    guide_stroke_color="#adb5bd",
    major_guide_stroke_color="#6c757d",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=13,
    legend_font_size=13,
    no_data_font_size=20,
)

#: Up to this many dates, the x axis is labelled at exactly the dates of the points.
LABEL_EACH_DATE_UP_TO = 12

Band = tuple[float, float, str]


def _day(value: dt.date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _number(value: float) -> str:
    return formats.number_format(value, decimal_pos=0 if float(value).is_integer() else 1)


def _describe(
    points: Sequence[tuple[dt.date, float]], y_label: str, bands: Sequence[Band] | None
) -> str:
    if not points:
        return _("No %(what)s recorded yet.") % {"what": y_label.lower()}
    first, last = points[0], points[-1]
    text = _(
        "%(what)s on %(count)s dates from %(start)s to %(end)s. First %(first)s, latest "
        "%(latest)s (%(latest_day)s)."
    ) % {
        "what": y_label,
        "count": len(points),
        "start": _day(first[0]),
        "end": _day(last[0]),
        "first": _number(first[1]),
        "latest": _number(last[1]),
        "latest_day": _day(last[0]),
    }
    band = _band_of(last[1], bands)
    if band:
        text += " " + _("The latest is in the band %(band)s.") % {"band": band}
    return text


def _band_of(value: float, bands: Sequence[Band] | None) -> str:
    return next((label for low, high, label in bands or () if low <= value <= high), "")


def _accessible(title: str, description: str) -> Any:
    """An xml filter: title and description first (named by aria-labelledby), and no script,
    no comment (pygal adds links to its home page in comments)."""

    def apply(root: Any) -> Any:
        for parent in list(root.iter()):
            for child in list(parent):
                tag = child.tag if isinstance(child.tag, str) else ""
                if child.tag is ElementTree.Comment or tag.rsplit("}", 1)[-1] == "script":
                    parent.remove(child)
        chart_id = root.get("id") or f"chart-{uuid.uuid4()}"
        for old in [c for c in root if c.tag in ("title", "desc")]:
            root.remove(old)
        title_node = ElementTree.Element("title", id=f"{chart_id}-title")
        title_node.text = title
        desc_node = ElementTree.Element("desc", id=f"{chart_id}-desc")
        desc_node.text = description
        root.insert(0, title_node)
        root.insert(1, desc_node)
        root.set("role", "img")
        root.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
        return root

    return apply


def line_over_time(
    title: str,
    points: Sequence[tuple[dt.date, float]],
    y_label: str,
    y_max: float | None = None,
    *,
    bands: Sequence[Band] | None = None,
    description: str | None = None,
) -> SafeString:
    """A line of values over dates as inline SVG markup. `bands` (low, high, label) name
    ranges of the y axis, e.g. the severity bands of a measure; `description` replaces the
    generated summary read by screen readers."""
    chart = pygal.DateLine(
        js=[],
        disable_xml_declaration=True,
        style=CHART_STYLE,
        title=title,
        y_title=y_label,
        show_legend=False,
        print_values=True,
        dots_size=4,
        height=360,
        width=800,
        margin=16,
        x_value_formatter=_day,
        value_formatter=_number,
        # Points are (date, value): print the value only; the date is on the x axis.
        formatter=lambda point: _number(point[1]),
        x_label_rotation=20,
        truncate_label=-1,
        include_x_axis=True,
        show_minor_y_labels=True,
        no_data_text=_("No data yet"),
        classes=["pygal-chart", "chart-over-time"],
    )
    if not points:
        chart.show_x_labels = chart.show_y_labels = False
    days = sorted({day for day, _value in points})
    if 0 < len(days) <= LABEL_EACH_DATE_UP_TO:
        chart.x_labels = days
    if y_max is not None:
        chart.range = (0, y_max)
    if bands:
        chart.y_labels = [
            {"label": f"{_number(low)} {label}", "value": low} for low, _high, label in bands
        ]
        if y_max is not None:
            chart.y_labels.append({"label": _number(y_max), "value": y_max})
    chart.add(y_label, [(day, value) for day, value in points])
    chart.add_xml_filter(_accessible(title, description or _describe(points, y_label, bands)))
    return mark_safe(chart.render(is_unicode=True))  # noqa: S308 - ElementTree escapes the text


def scores_over_time(
    title: str,
    points: Sequence[tuple[dt.date, float]],
    *,
    y_max: float | None,
    bands: Sequence[Band] | None = None,
) -> SafeString:
    """A measure's total scores over time, its severity bands named on the score axis."""
    return line_over_time(title, points, _("Total score"), y_max=y_max, bands=bands)
