"""Import a provider directory from an HSDS file or folder: `manage.py import_hsds PATH`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from referrals.hsds.importer import ImportFileError, import_directory, iter_tables


class Command(BaseCommand):
    help = (
        "Import an Open Referral HSDS provider directory: a 3.0 JSON file, a 3.0 tabular data "
        "package, or an HSDS 1.1 folder of CSVs (a folder, a zip, or one CSV named after its "
        "table). Importing the same file again updates the records it created."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The file, zip or folder to import.")
        parser.add_argument(
            "--show-skipped",
            action="store_true",
            help="List every skipped row and every value left out, with the reason.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        last = [-1]

        def progress(percent: int, stage: str) -> None:
            if options["verbosity"] >= 2 and percent != last[0]:
                last[0] = percent
                self.stderr.write(f"{percent:3d}% {stage}")

        try:
            result = import_directory(path, progress=progress)
        except ImportFileError as error:
            raise CommandError(f"Cannot import {path}: {error}") from error

        self.stdout.write(f"{path.name}: {result.format}, imported in {result.seconds:.1f} s")
        header = f"{'table':<26}{'created':>9}{'updated':>9}{'skipped':>9}{'ignored':>9}"
        self.stdout.write(header)
        for table, counts in iter_tables(result.counts):
            self.stdout.write(
                f"{table:<26}{counts.get('created', 0):>9}{counts.get('updated', 0):>9}"
                f"{counts.get('skipped', 0):>9}{counts.get('ignored', 0) or '':>9}"
            )
        rows, values = result.skipped_rows, result.skipped_values
        self.stdout.write(
            f"{len(rows)} row{'' if len(rows) == 1 else 's'} skipped, {len(values)} "
            f"value{'' if len(values) == 1 else 's'} left out of imported rows."
        )
        if options["show_skipped"]:
            for entry in rows + values:
                where = f"{entry.table} row {entry.row}"
                if entry.id:
                    where += f" (id {entry.id})"
                if entry.path:
                    where += f" at {entry.path}"
                what = f" [{entry.field}]" if entry.field else ""
                self.stdout.write(f"  {where}{what}: {entry.reason}")
        elif rows or values:
            self.stdout.write("Run again with --show-skipped to list them with the reasons.")
