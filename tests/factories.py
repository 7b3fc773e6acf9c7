import datetime as dt
from zoneinfo import ZoneInfo

import factory

from applications.models import (
    CCG,
    AreaTeam,
    Cycle,
    Deadline,
    DeadlineEvent,
    Region,
    Role,
    User,
)
from applications.pro_forma import sections_for

LONDON = ZoneInfo("Europe/London")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"Y{60 + n % 40:02d}")
    name = factory.LazyAttribute(lambda o: f"Region {o.code}")


class AreaTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AreaTeam
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"Q{n % 100:02d}")
    name = factory.LazyAttribute(lambda o: f"Area team {o.code}")
    region = factory.SubFactory(RegionFactory)


class CCGFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CCG

    ods_code = factory.Sequence(lambda n: f"{n % 1000:03d}")
    ons_code = factory.Sequence(lambda n: f"E38{n:06d}")
    name = factory.Sequence(lambda n: f"NHS Test {n} CCG")
    area_team = factory.SubFactory(AreaTeamFactory)
    registered_population = 250_000
    imd2015_score = "21.500"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.nhs.uk")
    role = Role.NATIONAL_ADMIN
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def ccg_staff(ccg: CCG, **kwargs) -> User:
    return UserFactory(role=Role.CCG_STAFF, ccg=ccg, **kwargs)


def area_team_staff(area_team: AreaTeam, **kwargs) -> User:
    return UserFactory(role=Role.AREA_TEAM, area_team=area_team, **kwargs)


def reviewer(region: Region, **kwargs) -> User:
    return UserFactory(role=Role.REGIONAL_REVIEWER, region=region, **kwargs)


def secretary(**kwargs) -> User:
    return UserFactory(role=Role.COMMITTEE_SECRETARY, **kwargs)


def national_admin(**kwargs) -> User:
    return UserFactory(role=Role.NATIONAL_ADMIN, **kwargs)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def cycle_2015_16() -> Cycle:
    """The 2015/16 cycle with the programme's real dates."""
    cycle, _ = Cycle.objects.get_or_create(
        name="2015/16", defaults={"starts_on": dt.date(2015, 4, 1)}
    )
    for event, model, due_at in [
        (DeadlineEvent.PROPOSALS_DUE, "delegated", london(2015, 1, 5, 23, 59)),
        (DeadlineEvent.PROPOSALS_DUE, "joint", london(2015, 1, 30, 23, 59)),
        (DeadlineEvent.COMMITTEE_SIGN_OFF, "", london(2015, 2, 16, 10)),
        (DeadlineEvent.GO_LIVE, "", london(2015, 4, 1)),
    ]:
        Deadline.objects.get_or_create(
            cycle=cycle, event=event, model=model, defaults={"due_at": due_at}
        )
    return cycle


def cycle_2016_17() -> Cycle:
    cycle, _ = Cycle.objects.get_or_create(
        name="2016/17", defaults={"starts_on": dt.date(2016, 4, 1)}
    )
    for event, model, due_at in [
        (DeadlineEvent.PROPOSALS_DUE, "delegated", london(2015, 6, 1, 23, 59)),
        (DeadlineEvent.GO_LIVE, "", london(2016, 4, 1)),
    ]:
        Deadline.objects.get_or_create(
            cycle=cycle, event=event, model=model, defaults={"due_at": due_at}
        )
    return cycle


# Answers that complete every section of each model's pro forma.
COMPLETE_ANSWERS = {
    "contact": {
        "contact_name": "Priya Shah",
        "contact_role": "Head of primary care",
        "contact_email": "priya.shah@example.nhs.uk",
        "contact_phone": "0115 000 0000",
    },
    "model_and_start": {"start_date": "2015-04-01"},
    "constitution": {
        "constitution_amendment_summary": "Adds the primary care commissioning committee.",
        "constitution_amendment_agreed_on": "2014-12-10",
    },
    "greater_involvement": {
        "arrangement_summary": "Monthly joint review of primary care decisions.",
        "agreed_with_area_team_on": "2014-12-01",
    },
    "joint_committee": {
        "committee_form": "joint_committee",
        "terms_of_reference_summary": "Model terms of reference adopted.",
    },
    "pooled_budget": {"pooled_budget": "no"},
    "delegated_functions": {"functions": ["gms_pms_apms_contracts", "enhanced_services"]},
    "conflicts_of_interest": {"arrangements": "Lay chair; GPs declare and leave the room."},
    "governance": {
        "governing_body_approved_on": "2014-12-15",
        "member_practice_engagement": "All 58 member practices voted; 51 in favour.",
    },
    "resources": {"resources_agreed": "Two band 7 posts transfer from the area team."},
}


def complete_pro_forma(model: str) -> dict:
    return {section.key: COMPLETE_ANSWERS[section.key] for section in sections_for(model)}
