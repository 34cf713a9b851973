"""HTML to PDF with WeasyPrint, without ever touching the network: the fetcher serves the
app's own static files from disk and inline data, and refuses every other address (so text
in a record can never make the server fetch a URL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import CSS, HTML, URLFetcher
from weasyprint.urls import URLFetcherResponse


class RemoteURLRefused(ValueError):
    """A document asked for something outside the app's own static files."""


def static_file_path(name: str) -> Path | None:
    """Where a static file lives on disk: the source folders first, then the collected ones."""
    found = finders.find(name)
    if isinstance(found, list):
        found = found[0] if found else None
    if found:
        return Path(found)
    root = getattr(settings, "STATIC_ROOT", None)
    if root:
        candidate = (Path(root) / name).resolve()
        if candidate.is_file() and candidate.is_relative_to(Path(root).resolve()):
            return candidate
    return None


class LocalOnlyFetcher(URLFetcher):
    """Serves `data:` URIs and files under STATIC_URL from disk; refuses the rest."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allowed_protocols=("data",), **kwargs)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        prefix = urlsplit(settings.STATIC_URL).path
        if not prefix.startswith("/"):
            prefix = "/" + prefix
        path = unquote(urlsplit(url).path)
        if path.startswith(prefix) and ".." not in path.split("/"):
            local = static_file_path(path.removeprefix(prefix))
            if local is not None:
                return URLFetcherResponse(url, body=local.read_bytes(), headers=_type_of(local))
        raise RemoteURLRefused(f"Refused to fetch {url}: only the app's own static files.")


def _type_of(path: Path) -> dict[str, str]:
    types = {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml"}
    return {"Content-Type": types.get(path.suffix, "application/octet-stream")}


def html_to_pdf(html: str, *, base_url: str, stylesheets: tuple[str, ...] = ()) -> bytes:
    """Render `html` (print media) to PDF bytes. `stylesheets` are static file names."""
    fetcher = LocalOnlyFetcher()
    sheets = []
    for name in stylesheets:
        local = static_file_path(name)
        if local is None:
            raise FileNotFoundError(name)
        sheets.append(CSS(string=local.read_text(encoding="utf-8"), url_fetcher=fetcher))
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(stylesheets=sheets)
    return pdf
