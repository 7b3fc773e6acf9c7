from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from applications.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a folder written by `manage.py backup` into the configured database, which "
        "must be new and empty, and MEDIA_ROOT, which must be empty or missing. Checks the "
        "archives against the manifest first and every table and file after, and fails on "
        "any difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options):
        try:
            counts = restore(folder=folder, media_root=Path(settings.MEDIA_ROOT))
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {counts['tables']} tables and {counts['files']} files from {folder}; "
            "every row count, table checksum and file checksum matches the manifest."
        )
