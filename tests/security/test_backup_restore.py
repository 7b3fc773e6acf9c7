"""bin/backup then bin/restore into a fresh database and a fresh media folder: every table
has the same rows (count and a checksum of its contents) and every uploaded file the same
SHA-256. A damaged archive is refused before anything is restored."""

import hashlib
import os
import subprocess
import uuid
from pathlib import Path

import psycopg2
import pytest
import time_machine
from django.db import connection

from applications.models import Proposal, ProposalDocument, ProposalTransition
from applications.services import submit_proposal
from tests.applications.view_helpers import JANUARY_2ND, ready_to_submit
from tests.factories import ccg_staff

ROOT = Path(__file__).resolve().parents[2]


def connect(name: str):
    db = connection.settings_dict
    conn = psycopg2.connect(
        dbname=name, user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    return conn


def contents(name: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and the SHA-256 of its rows' text, sorted."""
    conn = connect(name)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            tables = [row[0] for row in cursor.fetchall()]
            result = {}
            for table in tables:
                cursor.execute(f'SELECT t::text FROM "{table}" AS t')  # noqa: S608 - catalog
                rows = sorted(row[0] for row in cursor.fetchall())
                result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
            return result
    finally:
        conn.close()


def files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def run(script: str, *args: str, database: str, media: Path) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cocommissioning.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{database}",
        "DJANGO_MEDIA_ROOT": str(media),
    }
    return subprocess.run(
        [str(ROOT / "bin" / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def fresh_database():
    name = f"cocommissioning_restore_{uuid.uuid4().hex[:12]}"
    admin = connect("postgres")
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_finds_every_row_and_file(
    ccg, partner_ccg, cycle, media, tmp_path, fresh_database
):
    with time_machine.travel(JANUARY_2ND, tick=False):
        for lead, model in ((ccg, "delegated"), (partner_ccg, "joint")):
            staff = ccg_staff(lead)
            proposal = ready_to_submit(lead, cycle, staff, model=model)
            submit_proposal(proposal=proposal, by=staff)
    # A sign-off pack and a letter live under MEDIA_ROOT too: any file there is kept.
    (media / "letters" / "2015").mkdir(parents=True)
    (media / "letters" / "2015" / "decision.pdf").write_bytes(b"%PDF-1.4 letter\n%%EOF\n")
    assert ProposalDocument.objects.count() >= 2
    source_db = connection.settings_dict["NAME"]
    before_tables, before_files = contents(source_db), files(media)
    assert before_tables["applications_proposal"][0] == Proposal.objects.count() == 2
    assert before_tables["applications_proposaltransition"][0] == ProposalTransition.objects.count()
    assert len(before_files) == ProposalDocument.objects.count() + 1

    backed_up = run("backup", str(tmp_path / "backups"), database=source_db, media=media)
    assert backed_up.returncode == 0, backed_up.stderr
    folder = Path(backed_up.stdout.strip())
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["database.dump", "manifest.json", "media.tar"]

    restored_media = tmp_path / "restored-media"
    restored = run("restore", str(folder), database=fresh_database, media=restored_media)
    assert restored.returncode == 0, restored.stderr
    assert "every row count, table checksum and file checksum matches" in restored.stdout

    after_tables, after_files = contents(fresh_database), files(restored_media)
    mismatched_tables = {t for t in before_tables if before_tables[t] != after_tables.get(t)}
    assert set(after_tables) == set(before_tables)
    assert not mismatched_tables
    assert after_files == before_files
    print(  # noqa: T201 - the figures the run is reported with
        f"\nrestore: {len(before_tables)} tables, "
        f"{sum(n for n, _ in before_tables.values())} rows, {len(before_files)} files, "
        f"{len(mismatched_tables)} table and "
        f"{sum(before_files[p] != after_files.get(p) for p in before_files)} file mismatches"
    )


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_or_a_used_database_is_refused(ccg, media, tmp_path, fresh_database):
    ccg_staff(ccg)
    media.mkdir(parents=True)
    (media / "a.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    source_db = connection.settings_dict["NAME"]
    backed_up = run("backup", str(tmp_path / "backups"), database=source_db, media=media)
    assert backed_up.returncode == 0, backed_up.stderr
    folder = Path(backed_up.stdout.strip())

    # Into a database that is not empty: refused.
    into_used = run("restore", str(folder), database=source_db, media=tmp_path / "m1")
    assert into_used.returncode != 0 and "is not empty" in into_used.stderr

    # A flipped byte in the media archive: refused before anything is restored.
    archive = folder / "media.tar"
    data = bytearray(archive.read_bytes())
    data[600] ^= 0xFF
    archive.write_bytes(bytes(data))
    damaged = run("restore", str(folder), database=fresh_database, media=tmp_path / "m2")
    assert damaged.returncode != 0
    assert "media.tar does not match its checksum" in damaged.stderr
    assert not (tmp_path / "m2").exists()
    assert contents(fresh_database) == {}
