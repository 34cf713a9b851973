"""The directory import pages: administrators only (a 404 for anyone else), an upload that is
checked before anything is queued and then imported by the task, progress polled with htmx
until done, the counts and the skipped rows (paged), and a list whose queries do not grow."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from casemgmt.accounts.models import User
from referrals.models import DirectoryImport, ImportStatus, Organization, Service

from .test_import import example, small_miami, zip_folder

pytestmark = pytest.mark.django_db

LIST_URL = reverse("referrals:directory_imports")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def done_run(admin: User) -> DirectoryImport:
    skipped = [
        {"table": "services", "row": n + 2, "id": str(n), "reason": f"Reason {n}"}
        for n in range(120)
    ] + [
        {
            "table": "locations",
            "row": 2,
            "id": "7",
            "field": "latitude",
            "reason": "“north” is not a number; left empty.",
        }
    ]
    return DirectoryImport.objects.create(
        started_by=admin,
        source_name="miami.zip",
        status=ImportStatus.DONE,
        progress=100,
        stage="Done",
        counts={
            "service": {"created": 30, "updated": 2, "skipped": 120},
            "program": {"created": 0, "updated": 0, "skipped": 0, "ignored": 4},
        },
        skipped=skipped,
        finished_at=timezone.now(),
    )


def _login(http: HttpClient, user: User | None) -> HttpClient:
    if user is not None:
        http.force_login(user)
    return http


@pytest.mark.parametrize("page", ["list", "detail"])
@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 200), ("case_manager", 404), ("supervisor", 404), ("anonymous", 302)],
)
def test_only_administrators_see_imports(
    client: HttpClient,
    request: pytest.FixtureRequest,
    done_run: DirectoryImport,
    page: str,
    role: str,
    expected: int,
) -> None:
    user = None if role == "anonymous" else request.getfixturevalue(role)
    url = LIST_URL if page == "list" else reverse("referrals:directory_import", args=[done_run.pk])

    response = _login(client, user).get(url)

    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))


def test_a_case_manager_cannot_upload(
    client: HttpClient, case_manager: User, media: Path, tmp_path: Path
) -> None:
    upload = SimpleUploadedFile("x.json", example("organization_list.json").read_bytes())
    response = _login(client, case_manager).post(LIST_URL, {"upload": upload})
    assert response.status_code == 404
    assert not DirectoryImport.objects.exists()


def test_an_upload_is_queued_on_commit_and_imported(
    client: HttpClient,
    admin: User,
    media: Path,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    package = zip_folder(small_miami(tmp_path / "m", services=3), tmp_path / "m.zip")
    upload = SimpleUploadedFile("miami export.zip", package.read_bytes(), "application/zip")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _login(client, admin).post(LIST_URL, {"upload": upload})

    assert len(callbacks) == 1
    run = DirectoryImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:directory_import", args=[run.pk])
    assert (run.source_name, run.started_by) == ("miami export.zip", admin)
    assert run.status == ImportStatus.DONE and run.progress == 100
    assert Service.objects.count() == 5  # 3 with their organization, 2 kept without one
    assert Path(run.upload.path).is_relative_to(media)

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="100"' in html and "100% done" in html
    assert "hx-trigger" not in html  # finished: nothing to poll
    assert "Services" in html and "rows skipped" in html
    # The two services whose organization is not in the file are kept without it: the link
    # is listed among the values left out of kept rows.
    assert "values left out of kept rows" in html
    values = client.get(response["Location"] + "?show=values").content.decode()
    assert "It points at organization" in values and "organization_id" in values


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"hello", "Choose a .json, .zip or .csv file"),
        ("services.csv", b"", "The file is empty"),
        ("export.zip", b"PK\x03\x04 broken", "The zip file is damaged"),
        ("export.json", b"{not json", "is not valid JSON"),
        ("base.json", b'{"version": "3.0"}', "No HSDS records were found"),
        ("notes.csv", b"a,b\n1,2\n", "is not named after an HSDS table"),
    ],
)
def test_a_bad_upload_is_refused_and_nothing_is_queued(
    client: HttpClient,
    admin: User,
    media: Path,
    django_capture_on_commit_callbacks: Any,
    name: str,
    content: bytes,
    message: str,
) -> None:
    upload = SimpleUploadedFile(name, content)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _login(client, admin).post(LIST_URL, {"upload": upload})

    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert callbacks == []
    assert not DirectoryImport.objects.exists()
    assert not Organization.objects.exists()


def test_no_file_chosen_is_refused(client: HttpClient, admin: User, media: Path) -> None:
    response = _login(client, admin).post(LIST_URL, {})
    assert response.status_code == 200
    assert "Choose the file to import." in response.content.decode()
    assert not DirectoryImport.objects.exists()


def test_a_running_import_polls_every_second(client: HttpClient, admin: User) -> None:
    run = DirectoryImport.objects.create(
        started_by=admin,
        source_name="big.zip",
        status=ImportStatus.RUNNING,
        progress=42,
        stage="Saving services",
    )
    url = reverse("referrals:directory_import", args=[run.pk])

    full = _login(client, admin).get(url).content.decode()
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()

    for html in (full, partial):
        assert f'hx-get="{url}"' in html and 'hx-trigger="every 1s"' in html
        assert re.search(r'<progress[^>]*max="100"[^>]*value="42"', html)
        assert "42% done — Saving services" in html
    assert '<div id="progress"' in partial and "<html" not in partial and "<html" in full
    # The stage is announced through the page's own live region, swapped out of band.
    assert re.search(
        r'id="progress-announce"[^>]*hx-swap-oob="innerHTML">Importing: Saving', partial
    )


def test_a_finished_partial_stops_polling_and_shows_the_counts(
    client: HttpClient, admin: User, done_run: DirectoryImport
) -> None:
    url = reverse("referrals:directory_import", args=[done_run.pk])

    partial = _login(client, admin).get(url, headers={"HX-Request": "true"}).content.decode()

    assert '<div id="progress">' in partial and "<html" not in partial
    assert "hx-trigger" not in partial
    assert "30 records created, 2 updated, 120 rows skipped." in partial
    assert "120 rows skipped" in partial and "1 value left out of a kept row" in partial


def test_skipped_rows_are_paged(client: HttpClient, admin: User, done_run: DirectoryImport) -> None:
    url = reverse("referrals:directory_import", args=[done_run.pk])
    _login(client, admin)

    first = client.get(url).content.decode()
    third = client.get(url, {"page": 3}).content.decode()
    values = client.get(url, {"show": "values"}).content.decode()

    assert "Reason 0<" in first and "Reason 49<" in first and "Reason 50<" not in first
    assert "Page 1 of 3" in first
    assert "Reason 119<" in third and "Reason 99<" not in third
    assert "“north” is not a number; left empty." in values and "Reason 0<" not in values
    assert "latitude" in values


def test_a_failed_import_says_why(client: HttpClient, admin: User) -> None:
    run = DirectoryImport.objects.create(
        started_by=admin,
        source_name="broken.zip",
        status=ImportStatus.FAILED,
        stage="Failed",
        error="The zip file is damaged and cannot be read.",
        finished_at=timezone.now(),
    )
    html = (
        _login(client, admin)
        .get(reverse("referrals:directory_import", args=[run.pk]))
        .content.decode()
    )
    assert "The import did not finish" in html
    assert "The zip file is damaged and cannot be read." in html
    assert "Nothing in the directory was changed." in html


def test_an_unknown_import_is_a_404(client: HttpClient, admin: User) -> None:
    response = _login(client, admin).get(reverse("referrals:directory_import", args=[999999]))
    assert response.status_code == 404


def test_the_list_queries_do_not_grow_with_imports(
    client: HttpClient, admin: User, django_assert_max_num_queries: Any
) -> None:
    def make(n: int) -> None:
        for i in range(n):
            DirectoryImport.objects.create(
                started_by=admin,
                source_name=f"file-{i}.zip",
                status=ImportStatus.DONE,
                counts={"service": {"created": i, "updated": 0, "skipped": 1}},
                skipped=[{"table": "services", "row": 2, "id": "1", "reason": "x"}] * 50,
            )

    _login(client, admin)
    DirectoryImport.objects.create(source_name="from-the-command-line.zip")  # nobody started it
    make(2)
    with django_assert_max_num_queries(12) as few:
        assert client.get(LIST_URL).status_code == 200
    make(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST_URL)
    assert "file-19.zip" in response.content.decode()
