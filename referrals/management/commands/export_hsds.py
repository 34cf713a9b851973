"""python manage.py export_hsds DIR — the provider directory as an HSDS 3.0 data package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from referrals.hsds.exporter import export_to_directory, export_to_zip


class Command(BaseCommand):
    help = (
        "Write the provider directory as an Open Referral HSDS 3.0 Tabular Data Package: "
        "datapackage.json and one CSV per table in DIR (or one zip archive when DIR ends "
        "in .zip)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", metavar="DIR", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        target: Path = options["target"]
        if target.suffix.lower() == ".zip":
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as stream:
                counts = export_to_zip(stream)
        else:
            counts = export_to_directory(target)
        for table, count in counts.items():
            self.stdout.write(f"{table}: {count}")
        self.stdout.write(self.style.SUCCESS(f"Wrote the HSDS package to {target}"))
