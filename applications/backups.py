"""Backups: the database (pg_dump's custom format) and everything under MEDIA_ROOT
(uploaded documents, sign-off packs, decision letters), with a manifest of SHA-256
checksums of the archive files, of every media file, and of every table's rows.

`manage.py backup DEST` (bin/backup) writes a new folder under DEST; `manage.py restore
FOLDER` (bin/restore) checks the archives against the manifest, restores into an empty
database and an empty media folder, then checks every table and file against the manifest
and fails if anything differs. See docs/backup-and-restore.md."""

import hashlib
import json
import os
import shutil
import subprocess  # nosec B404 # runs pg_dump / pg_restore with fixed arguments, no shell
import tarfile
from pathlib import Path
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

MANIFEST = "manifest.json"
DATABASE_ARCHIVE = "database.dump"
MEDIA_ARCHIVE = "media.tar"
FORMAT_VERSION = 1
# A table's row count and the SHA-256 of its rows' text in a fixed order.
ROWS_CHECKSUM = (
    "SELECT count(*), encode(sha256(convert_to("
    "coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''), 'UTF8')), 'hex')"
)


class BackupError(Exception):
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def media_checksums(root: Path) -> dict[str, str]:
    """Every regular file under root, by its path relative to root."""
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): sha256_of(path)
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def table_checksums(connection: BaseDatabaseWrapper) -> dict[str, dict[str, Any]]:
    """Row count and a SHA-256 of the sorted text of every row, for each table of the
    public schema. The same data gives the same checksum in any database it is restored to."""
    result: dict[str, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public' "
            "ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            # The table name comes from pg_catalog, quoted: not anyone's input.
            query = f"{ROWS_CHECKSUM} FROM {connection.ops.quote_name(table)} AS t"
            cursor.execute(query)
            rows, checksum = cursor.fetchone()
            result[table] = {"rows": rows, "sha256": checksum}
    return result


def _pg_env_and_args(alias: str) -> tuple[dict[str, str], list[str]]:
    settings_dict = connections[alias].settings_dict
    if connections[alias].vendor != "postgresql":
        raise BackupError("Backups need PostgreSQL (pg_dump and pg_restore).")
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    args = ["--dbname", settings_dict["NAME"]]
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    return env, args


def _run(command: list[str], env: dict[str, str]) -> None:
    executable = shutil.which(command[0])
    if executable is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client).")
    # A fixed program (pg_dump or pg_restore) and arguments, no shell.
    result = subprocess.run(  # noqa: S603  # nosec B603
        [executable, *command[1:]], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def backup(*, destination: Path, media_root: Path, name: str, alias: str = "default") -> Path:
    folder = destination / name
    folder.mkdir(parents=True, exist_ok=False)
    env, args = _pg_env_and_args(alias)
    dump = folder / DATABASE_ARCHIVE
    # pg_dump takes one consistent snapshot; the checksums below are taken afterwards, so
    # the site should be quiet (or in maintenance) while a backup runs for them to agree.
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", "--file", str(dump), *args], env)
    tables = table_checksums(connections[alias])

    media = media_checksums(media_root)
    archive = folder / MEDIA_ARCHIVE
    with tarfile.open(archive, "w") as tar:
        for relative in media:
            tar.add(media_root / relative, arcname=relative, recursive=False)

    manifest = {
        "format": FORMAT_VERSION,
        "name": name,
        "archives": {DATABASE_ARCHIVE: sha256_of(dump), MEDIA_ARCHIVE: sha256_of(archive)},
        "tables": tables,
        "media": media,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return folder


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} is missing: not a backup folder.")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    for archive, expected in manifest["archives"].items():
        actual = sha256_of(folder / archive)
        if actual != expected:
            raise BackupError(f"{archive} does not match its checksum in the manifest.")
    return manifest


def differences(manifest: dict[str, Any], tables: dict, media: dict) -> list[str]:
    problems = []
    for table in sorted(set(manifest["tables"]) | set(tables)):
        if manifest["tables"].get(table) != tables.get(table):
            problems.append(
                f"table {table}: backed up {manifest['tables'].get(table)}, "
                f"restored {tables.get(table)}"
            )
    for path in sorted(set(manifest["media"]) | set(media)):
        if manifest["media"].get(path) != media.get(path):
            problems.append(f"file {path}: checksum or presence differs")
    return problems


def restore(*, folder: Path, media_root: Path, alias: str = "default") -> dict[str, int]:
    manifest = read_manifest(folder)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'")
        if cursor.fetchone()[0]:
            raise BackupError(
                f"The database {connection.settings_dict['NAME']} is not empty: restore into a "
                "new, empty database."
            )
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"{media_root} is not empty: restore into a new, empty folder.")
    connection.close()

    env, args = _pg_env_and_args(alias)
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            *args,
            str(folder / DATABASE_ARCHIVE),
        ],
        env,
    )

    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / MEDIA_ARCHIVE) as tar:
        members = tar.getmembers()
        unexpected = [m.name for m in members if m.name not in manifest["media"] or not m.isfile()]
        if unexpected:
            raise BackupError(f"media.tar holds entries not in the manifest: {unexpected[:5]}")
        # The "data" filter refuses absolute paths, "..", links and device files.
        tar.extractall(media_root, members=members, filter="data")

    problems = differences(manifest, table_checksums(connection), media_checksums(media_root))
    if problems:
        raise BackupError("The restore does not match the backup:\n" + "\n".join(problems))
    return {"tables": len(manifest["tables"]), "files": len(manifest["media"])}
