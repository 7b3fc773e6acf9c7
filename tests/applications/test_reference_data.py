import shutil
from datetime import UTC
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from applications.models import CCG, AreaTeam, Cycle, Deadline, Region
from tests.factories import london

pytestmark = pytest.mark.django_db


def load(data_dir: Path | None = None) -> str:
    out = StringIO()
    args = ["load_reference_data"] + (["--data-dir", str(data_dir)] if data_dir else [])
    call_command(*args, stdout=out)
    return out.getvalue()


def snapshot():
    return (
        sorted(Region.objects.values_list("pk", "code", "name")),
        sorted(AreaTeam.objects.values_list("pk", "code", "name", "region_id")),
        sorted(
            CCG.objects.values_list(
                "pk",
                "ods_code",
                "ons_code",
                "name",
                "area_team_id",
                "registered_population",
                "imd2015_score",
            )
        ),
        sorted(Deadline.objects.values_list("pk", "cycle__name", "event", "model", "due_at")),
    )


def test_loads_the_real_organisations_of_2014_15():
    load()
    assert (Region.objects.count(), AreaTeam.objects.count(), CCG.objects.count()) == (4, 27, 211)
    per_region = dict(Region.objects.annotate(n=Count("area_teams__ccgs")).values_list("code", "n"))
    assert per_region == {"Y54": 68, "Y55": 61, "Y56": 32, "Y57": 50}
    # Every CCG sits in exactly one area team and, through it, one region.
    assert not CCG.objects.filter(area_team__isnull=True).exists()
    nottingham = CCG.objects.select_related("area_team__region").get(ods_code="04K")
    assert nottingham.name == "NHS Nottingham City CCG"
    assert nottingham.ons_code == "E38000132"
    assert nottingham.area_team.name == "Derbyshire and Nottinghamshire"
    assert nottingham.region.name == "Midlands and East of England"
    assert nottingham.registered_population == 353829
    assert str(nottingham.imd2015_score) == "36.927"
    assert CCG.objects.filter(imd2015_score__isnull=True).count() == 5


def test_loads_the_timetable_in_london_time():
    load()
    cycle = Cycle.objects.get(name="2015/16")
    assert cycle.deadline("proposals_due", "delegated").due_at == london(2015, 1, 5, 23, 59)
    assert cycle.deadline("proposals_due", "joint").due_at == london(2015, 1, 30, 23, 59)
    assert cycle.deadline("committee_sign_off").due_at == london(2015, 2, 16, 10)
    go_live = cycle.deadline("go_live").due_at
    assert go_live == london(2015, 4, 1)
    # 1 April is in British Summer Time: midnight in London is 23:00 UTC the day before.
    assert timezone.localtime(go_live).isoformat() == "2015-04-01T00:00:00+01:00"
    assert go_live.astimezone(UTC).isoformat() == "2015-03-31T23:00:00+00:00"
    # 5 January is in GMT.
    delegated = cycle.deadline("proposals_due", "delegated").due_at
    assert delegated.astimezone(UTC).isoformat() == "2015-01-05T23:59:00+00:00"
    later = Cycle.objects.get(name="2016/17")
    assert later.deadline("proposals_due", "delegated").due_at == london(2015, 6, 1, 23, 59)
    assert later.deadline("go_live").due_at == london(2016, 4, 1)


def test_loading_twice_changes_nothing():
    load()
    before = snapshot()
    output = load()
    assert snapshot() == before
    assert "CCGs: 0 created, 0 updated, 211 unchanged" in output


def test_a_reload_keeps_the_special_measures_flag_and_deadlines_edited_in_the_admin():
    load()
    CCG.objects.filter(ods_code="04K").update(in_special_measures=True)
    Deadline.objects.filter(event="proposals_due", model="delegated", cycle__name="2015/16").update(
        due_at=london(2015, 1, 9, 17)
    )
    load()
    assert CCG.objects.get(ods_code="04K").in_special_measures
    cycle = Cycle.objects.get(name="2015/16")
    assert cycle.deadline("proposals_due", "delegated").due_at == london(2015, 1, 9, 17)


def test_a_refresh_corrects_a_changed_value(tmp_path):
    load()
    data = tmp_path / "data"
    shutil.copytree(settings.REFERENCE_DATA_DIR, data)
    path = data / "ccgs_2014.csv"
    path.write_text(path.read_text().replace("England,353829,36.927", "England,353900,36.927"))
    output = load(data)
    assert CCG.objects.get(ods_code="04K").registered_population == 353900
    assert "CCGs: 0 created, 1 updated, 210 unchanged" in output


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "ccgs_2014.csv",
            "Midlands and East of England,353829,36.927",
            "Midlands and East of England,lots,36.927",
            "ccgs_2014.csv, line 79, field registered_population: 'lots' is not a positive whole",
        ),
        (
            "ccgs_2014.csv",
            "04K,E38000132,NHS Nottingham City CCG,Q55",
            "04K,E38000132,NHS Nottingham City CCG,Q99",
            "ccgs_2014.csv, line 79, field area_team_code: Q99 is not in area_teams_2014.csv",
        ),
        (
            "ccgs_2014.csv",
            "04K,E38000132",
            "04K,X1",
            "ccgs_2014.csv, line 79, field ons_code: 'X1' is not a valid CCG ONS code",
        ),
        (
            "area_teams_2014.csv",
            "Q55,Derbyshire and Nottinghamshire,Y55",
            "Q55,Derbyshire and Nottinghamshire,Y99",
            "area_teams_2014.csv, line 13, field region_code: Y99 is not in regions_2014.csv",
        ),
        (
            "deadlines.csv",
            "2015/16,2015-04-01,proposals_due,delegated,2015-01-05",
            "2015/16,2015-04-01,proposals_due,delegated,2015-01-32",
            "deadlines.csv, line 2, field date: '2015-01-32' is not a date",
        ),
    ],
)
def test_a_bad_row_names_file_line_and_field_and_loads_nothing(tmp_path, file, old, new, message):
    data = tmp_path / "data"
    shutil.copytree(settings.REFERENCE_DATA_DIR, data)
    path = data / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(CommandError) as error:
        load(data)
    assert message in str(error.value)
    assert "nothing was changed" in str(error.value)
    assert (Region.objects.count(), AreaTeam.objects.count(), CCG.objects.count()) == (0, 0, 0)
    assert not Deadline.objects.exists()


def test_a_bad_file_during_a_refresh_leaves_the_loaded_data_as_it_was(tmp_path):
    load()
    before = snapshot()
    data = tmp_path / "data"
    shutil.copytree(settings.REFERENCE_DATA_DIR, data)
    path = data / "ccgs_2014.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[5] = lines[5].replace(",", ";", 3)
    path.write_text("".join(lines))
    with pytest.raises(CommandError, match=r"ccgs_2014\.csv, line 6"):
        load(data)
    assert snapshot() == before


def test_the_project_keeps_the_provenance_of_its_copy():
    sources = (Path(settings.REFERENCE_DATA_DIR) / "SOURCES.md").read_text()
    assert "ccgs_2014.csv" in sources
