"""A Hypothesis state machine over the proposal workflow: random people (staff of two CCGs
in different regions and of a partner CCG, their area teams and regional reviewers, the
committee secretary, the national programme team, the SYSTEM actor of scheduled work, some of
them deactivated at times) call the real service functions in random order while the clock
moves through the 2015 timetable. After every step:

- every proposal's state is one of ProposalState;
- each committed transition wrote exactly one ProposalTransition row, from the old state to
  the new one, and a refused action (a ProposalError) changed nothing and wrote nothing;
- Proposal.objects.visible_to(person) is exactly what the scoping rules allow that person,
  so CCG staff never see a foreign CCG's proposal.

Each example runs inside a savepoint that is rolled back, against people and organisations
made once for the test."""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from applications import actions
from applications.deadlines import run_sweep
from applications.errors import ProposalError
from applications.models import (
    CommissioningModel,
    Proposal,
    ProposalCondition,
    ProposalState,
    ProposalTransition,
    Role,
)
from applications.permissions import SYSTEM
from applications.pro_forma import sections_for
from applications.services import (
    create_proposal,
    go_live,
    lapse_proposal,
    perform_transition,
    record_greater_involvement,
    resubmit_proposal,
    save_pro_forma_section,
    submit_proposal,
    withdraw_proposal,
)
from approvals.models import Decision
from approvals.services import (
    approve_joint_proposal,
    current_review,
    not_approve_proposal,
    recommend_to_committee,
    record_committee_decision,
    record_condition_met,
    request_changes,
    save_review,
    start_review,
)
from tests import factories
from tests.approvals.conftest import ALL_YES
from tests.factories import COMPLETE_ANSWERS, london

MAX_EXAMPLES = 30
STEPS = 25
START = london(2014, 12, 1, 9)
STATES = set(ProposalState.values)
NOT_YET_FOR_THE_SECRETARY = {
    ProposalState.DRAFT,
    ProposalState.SUBMITTED,
    ProposalState.UNDER_REVIEW,
    ProposalState.CHANGES_REQUESTED,
    ProposalState.RESUBMITTED,
    ProposalState.LAPSED,
}
TRANSITIONS = [
    "record",
    "submit",
    "resubmit",
    "withdraw",
    "lapse",
    "start_review",
    "request_changes",
    "approve_joint",
    "not_approve",
    "recommend",
    "not_recommend",
    "committee_approve",
    "committee_approve_with_conditions",
    "committee_defer",
    "committee_decline",
    "go_live",
]
STEPS_FORWARD = [
    dt.timedelta(hours=1),
    dt.timedelta(days=1),
    dt.timedelta(days=4),
    dt.timedelta(days=10),
    dt.timedelta(days=30),
    dt.timedelta(days=60),
]

stats: Counter = Counter()


def build_world() -> dict:
    midlands = factories.RegionFactory(code="Y55", name="Midlands and East of England")
    south = factories.RegionFactory(code="Y57", name="South of England")
    notts = factories.AreaTeamFactory(code="Q55", name="Derbys and Notts", region=midlands)
    thames = factories.AreaTeamFactory(code="Q69", name="Thames Valley", region=south)
    ccg_a = factories.CCGFactory(ods_code="04K", name="NHS Nottingham City CCG", area_team=notts)
    partner = factories.CCGFactory(ods_code="04L", name="NHS Notts N and E CCG", area_team=notts)
    ccg_b = factories.CCGFactory(ods_code="10Q", name="NHS Oxfordshire CCG", area_team=thames)
    people = {
        "ccg_a": factories.ccg_staff(ccg_a),
        "partner": factories.ccg_staff(partner),
        "ccg_b": factories.ccg_staff(ccg_b),
        "area_team_a": factories.area_team_staff(notts),
        "area_team_b": factories.area_team_staff(thames),
        "reviewer_a": factories.reviewer(midlands),
        "reviewer_b": factories.reviewer(south),
        "secretary": factories.secretary(),
        "national": factories.national_admin(),
    }
    return {
        "cycle": factories.cycle_2015_16(),
        "ccgs": {"a": ccg_a, "partner": partner, "b": ccg_b},
        "people": people,
    }


def may_see(person, proposal: Proposal, partner_ccgs: set[int]) -> bool:
    """The scoping rules of docs/architecture.md, written out independently."""
    if not person.is_active:
        return False
    ccgs = {proposal.ccg_id, *partner_ccgs}
    if person.role == Role.NATIONAL_ADMIN:
        return True
    if person.role == Role.CCG_STAFF:
        return person.ccg_id in ccgs
    if person.role == Role.AREA_TEAM:
        return person.area_team_id in {AREA_TEAM_OF[c] for c in ccgs}
    if person.role == Role.REGIONAL_REVIEWER:
        return person.region_id == REGION_OF[proposal.ccg_id]
    if person.role == Role.COMMITTEE_SECRETARY:
        return (
            proposal.model == CommissioningModel.DELEGATED
            and proposal.state not in NOT_YET_FOR_THE_SECRETARY
        )
    return False


AREA_TEAM_OF: dict[int, int] = {}
REGION_OF: dict[int, int] = {}


class ProposalWorkflow(RuleBasedStateMachine):
    world: dict = {}

    def __init__(self) -> None:
        super().__init__()
        stats["examples"] += 1
        self.people = dict(self.world["people"])
        self.actors = {**self.people, "system": SYSTEM}
        self.cycle = self.world["cycle"]
        self.ccgs = self.world["ccgs"]
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.traveller = time_machine.travel(START, tick=False)
        self.clock = self.traveller.start()

    def teardown(self) -> None:
        try:
            self.traveller.stop()
        finally:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
            for person in self.people.values():
                person.refresh_from_db()

    # -- the bookkeeping every action goes through -------------------------------------

    def snapshot(self) -> tuple[dict, Counter]:
        states = dict(Proposal.objects.values_list("pk", "state"))
        rows = Counter(ProposalTransition.objects.values_list("proposal_id", flat=True))
        return states, rows

    def act(self, name: str, action) -> None:
        """Run one service call and check the audit rows it left."""
        before_states, before_rows = self.snapshot()
        try:
            with transaction.atomic():  # a failed call must not poison the example's savepoint
                action()
        except ProposalError:
            stats["refused"] += 1
            after_states, after_rows = self.snapshot()
            assert after_states == before_states, f"{name} was refused but changed a state"
            assert after_rows == before_rows, f"{name} was refused but wrote audit rows"
            return
        stats["done"] += 1
        after_states, after_rows = self.snapshot()
        new_rows = after_rows - before_rows
        for pk, state in after_states.items():
            old = before_states.get(pk)
            if old is None:
                assert new_rows[pk] == 1, f"{name}: a new proposal needs one 'create' row"
                row = ProposalTransition.objects.filter(proposal_id=pk).get()
                assert (row.name, row.from_state, row.to_state) == ("create", "", "draft")
                stats["created"] += 1
            elif old != state:
                assert new_rows[pk] == 1, f"{name}: {old} -> {state} wrote {new_rows[pk]} rows"
                row = ProposalTransition.objects.filter(proposal_id=pk).latest("at", "pk")
                assert (row.from_state, row.to_state) == (old, state), name
                stats["transitions"] += 1
                stats[f"{old} -> {state}"] += 1
            else:
                assert new_rows[pk] == 0, f"{name}: {pk} stayed {state} but gained audit rows"

    def pick(self, index: int) -> Proposal | None:
        proposals = list(Proposal.objects.order_by("pk"))
        return proposals[index % len(proposals)] if proposals else None

    @initialize(
        model_a=st.sampled_from(CommissioningModel.values),
        model_b=st.sampled_from(CommissioningModel.values),
    )
    def each_ccg_starts_a_proposal(self, model_a: str, model_b: str) -> None:
        for ccg, model in (("a", model_a), ("b", model_b)):
            self.create(actor="own", ccg=ccg, model=model, with_partner=ccg == "a")

    # -- time ---------------------------------------------------------------------------

    @rule(step=st.sampled_from(STEPS_FORWARD))
    def time_passes(self, step: dt.timedelta) -> None:
        self.clock.shift(step)

    # -- people ---------------------------------------------------------------------------

    @rule(name=st.sampled_from(sorted(["ccg_a", "ccg_b", "partner", "reviewer_a", "secretary"])))
    def toggle_active(self, name: str) -> None:
        person = self.people[name]
        person.is_active = not person.is_active
        person.save(update_fields=["is_active"])

    # -- the CCG's write paths -------------------------------------------------------------

    @rule(
        actor=st.sampled_from(["own", "own", "ccg_a", "ccg_b", "partner", "national", "system"]),
        ccg=st.sampled_from(["a", "b", "partner"]),
        model=st.sampled_from(CommissioningModel.values),
        with_partner=st.booleans(),
    )
    def create(self, actor: str, ccg: str, model: str, with_partner: bool) -> None:
        by = self.people[{"a": "ccg_a", "b": "ccg_b"}.get(ccg, ccg)] if actor == "own" else None
        by = by or self.actors[actor]

        def action():
            proposal = create_proposal(ccg=self.ccgs[ccg], cycle=self.cycle, model=model, by=by)
            if with_partner and model == CommissioningModel.JOINT and ccg == "a":
                actions.set_partners(proposal=proposal, partners=[self.ccgs["partner"]], by=by)

        self.act("create", action)

    @rule(index=st.integers(min_value=0), actor=st.sampled_from(["ccg_a", "ccg_b", "area_team_a"]))
    def fill_in(self, index: int, actor: str) -> None:
        proposal = self.pick(index)
        if proposal is None:
            return

        def action():
            for section in sections_for(proposal.model):
                save_pro_forma_section(
                    proposal=proposal,
                    section=section.key,
                    answers=COMPLETE_ANSWERS[section.key],
                    by=self.actors[actor],
                )

        self.act("fill in", action)

    @rule(index=st.integers(min_value=0), actor=st.sampled_from(["partner", "ccg_b", "ccg_a"]))
    def partner_agrees(self, index: int, actor: str) -> None:
        proposal = self.pick(index)
        if proposal is None or not proposal.partner_links.exists():
            return
        self.act(
            "partner agrees",
            lambda: actions.confirm_agreement(
                proposal=proposal,
                partner=self.ccgs["partner"],
                by=self.actors[actor],
                governing_body_agreed_on=dt.date(2014, 11, 20),
            ),
        )

    @rule(
        index=st.integers(min_value=0),
        actor=st.sampled_from(sorted(["ccg_a", "ccg_b", "partner", "area_team_a", "system"])),
        what=st.sampled_from(["submit", "resubmit", "record", "withdraw"]),
    )
    def ccg_acts(self, index: int, actor: str, what: str) -> None:
        proposal = self.pick(index)
        if proposal is None:
            return
        by = self.actors[actor]
        calls = {
            "submit": lambda: submit_proposal(proposal=proposal, by=by),
            "resubmit": lambda: resubmit_proposal(
                proposal=proposal, by=by, summary_of_changes="Named the chair."
            ),
            "record": lambda: record_greater_involvement(proposal=proposal, by=by),
            "withdraw": lambda: withdraw_proposal(
                proposal=proposal, by=by, reason="Merging with a neighbour."
            ),
        }
        self.act(what, calls[what])

    # -- review ---------------------------------------------------------------------------

    @rule(
        index=st.integers(min_value=0),
        actor=st.sampled_from(sorted(["reviewer_a", "reviewer_b", "ccg_a", "national"])),
        what=st.sampled_from(
            ["start", "assure", "changes", "approve", "not_approve", "recommend", "not_recommend"]
        ),
    )
    def reviewer_acts(self, index: int, actor: str, what: str) -> None:
        proposal = self.pick(index)
        if proposal is None:
            return
        by = self.actors[actor]
        if what == "assure":
            review = current_review(proposal)
            if review is None:
                return
            self.act("assure", lambda: save_review(review=review, by=by, answers=ALL_YES))
            return
        calls = {
            "start": lambda: start_review(proposal=proposal, by=by),
            "changes": lambda: request_changes(
                proposal=proposal, by=by, comments="Name the chair."
            ),
            "approve": lambda: approve_joint_proposal(proposal=proposal, by=by),
            "not_approve": lambda: not_approve_proposal(proposal=proposal, by=by, reason="Weak."),
            "recommend": lambda: recommend_to_committee(proposal=proposal, by=by, recommend=True),
            "not_recommend": lambda: recommend_to_committee(
                proposal=proposal, by=by, recommend=False, comments="Conflicts not managed."
            ),
        }
        self.act(what, calls[what])

    # -- the committee ----------------------------------------------------------------------

    @rule(
        index=st.integers(min_value=0),
        actor=st.sampled_from(sorted(["secretary", "reviewer_a", "national"])),
        decision=st.sampled_from(Decision.values),
    )
    def committee_decides(self, index: int, actor: str, decision: str) -> None:
        proposal = self.pick(index)
        if proposal is None:
            return
        conditions = (
            ["Publish the register"] if decision == Decision.APPROVED_WITH_CONDITIONS else []
        )
        self.act(
            f"committee {decision}",
            lambda: record_committee_decision(
                proposal=proposal,
                by=self.actors[actor],
                decision=decision,
                conditions=conditions,
                minute="Minuted.",
            ),
        )

    @rule(index=st.integers(min_value=0), actor=st.sampled_from(["secretary", "ccg_a"]))
    def condition_met(self, index: int, actor: str) -> None:
        conditions = list(ProposalCondition.objects.filter(met_at__isnull=True).order_by("pk"))
        if not conditions:
            return
        condition = conditions[index % len(conditions)]
        self.act(
            "condition met",
            lambda: record_condition_met(condition=condition, by=self.actors[actor], note="Done."),
        )

    # -- scheduled work and anyone trying anything -------------------------------------------

    @rule(
        index=st.integers(min_value=0),
        actor=st.sampled_from(sorted(["system", "national", "ccg_a"])),
    )
    def system_acts(self, index: int, actor: str) -> None:
        proposal = self.pick(index)
        if proposal is None:
            return
        if actor == "system":
            self.act("lapse", lambda: lapse_proposal(proposal=proposal))
        self.act("go live", lambda: go_live(proposal=proposal, by=self.actors[actor]))

    @rule()
    def sweep(self) -> None:
        self.act("sweep", lambda: run_sweep())

    @rule(
        index=st.integers(min_value=0),
        actor=st.sampled_from(sorted(["system", *["ccg_a", "ccg_b", "partner", "area_team_a"]])),
        transition=st.sampled_from(TRANSITIONS),
    )
    def anyone_tries_any_transition(self, index: int, actor: str, transition: str) -> None:
        proposal = self.pick(index)
        if proposal is None:
            return
        self.act(
            transition,
            lambda: perform_transition(
                proposal=proposal, transition=transition, by=self.actors[actor], reason="Tried."
            ),
        )

    # -- the right person taking the next step, so examples reach deep into the graph -------

    @rule(
        index=st.integers(min_value=0),
        outcomes=st.lists(st.booleans(), min_size=1, max_size=4),
    )
    def the_right_people_take_the_next_steps(self, index: int, outcomes: list[bool]) -> None:
        proposal = self.pick(index)
        for outcome in outcomes:
            if proposal is None:
                return
            self.next_step(proposal, outcome)
            proposal = Proposal.objects.get(pk=proposal.pk)

    # Hypothesis picks among rules evenly; a second rule doing the same doubles how often
    # examples move proposals on, against the many ways they are refused.
    @rule(
        index=st.integers(min_value=0),
        outcomes=st.lists(st.booleans(), min_size=1, max_size=5),
    )
    def and_again(self, index: int, outcomes: list[bool]) -> None:
        self.the_right_people_take_the_next_steps(index, outcomes)

    def next_step(self, proposal: Proposal, outcome: bool) -> None:
        lead = self.people["ccg_a" if proposal.ccg_id == self.ccgs["a"].pk else "ccg_b"]
        if proposal.ccg_id == self.ccgs["partner"].pk:
            lead = self.people["partner"]
        reviewer = self.people[
            "reviewer_b" if proposal.ccg_id == self.ccgs["b"].pk else "reviewer_a"
        ]
        secretary = self.people["secretary"]
        state = proposal.state
        if state == ProposalState.DRAFT:
            if proposal.missing_pro_forma_sections():
                self.fill_in_as(proposal, lead)
            for link in proposal.partner_links.filter(agreed_at__isnull=True):
                self.act(
                    "partner agrees",
                    lambda link=link: actions.confirm_agreement(
                        proposal=proposal,
                        partner=link.ccg,
                        by=self.people["partner"],
                        governing_body_agreed_on=dt.date(2014, 11, 20),
                    ),
                )
            if proposal.model == CommissioningModel.GREATER_INVOLVEMENT:
                self.act("record", lambda: record_greater_involvement(proposal=proposal, by=lead))
            else:
                self.act("submit", lambda: submit_proposal(proposal=proposal, by=lead))
        elif state == ProposalState.CHANGES_REQUESTED:
            self.act("resubmit", lambda: resubmit_proposal(proposal=proposal, by=lead))
        elif state in (ProposalState.SUBMITTED, ProposalState.RESUBMITTED):
            self.act("start review", lambda: start_review(proposal=proposal, by=reviewer))
        elif state == ProposalState.UNDER_REVIEW:
            review = current_review(proposal)
            self.act("assure", lambda: save_review(review=review, by=reviewer, answers=ALL_YES))
            if not outcome and review.round == 1:
                self.act(
                    "request changes",
                    lambda: request_changes(proposal=proposal, by=reviewer, comments="Chair?"),
                )
            elif proposal.model == CommissioningModel.JOINT:
                decide = approve_joint_proposal if outcome else not_approve_proposal
                kwargs = {} if outcome else {"reason": "Not ready."}
                self.act("decide", lambda: decide(proposal=proposal, by=reviewer, **kwargs))
            else:
                self.act(
                    "recommend",
                    lambda: recommend_to_committee(
                        proposal=proposal, by=reviewer, recommend=outcome, comments="Reasons."
                    ),
                )
        elif state in (
            ProposalState.RECOMMENDED,
            ProposalState.NOT_RECOMMENDED,
            ProposalState.DEFERRED,
        ):
            decision = Decision.APPROVED_WITH_CONDITIONS if outcome else Decision.APPROVED
            self.act(
                "committee decides",
                lambda: record_committee_decision(
                    proposal=proposal,
                    by=secretary,
                    decision=decision,
                    conditions=["Publish the register"] if outcome else [],
                ),
            )
        elif state in (ProposalState.APPROVED, ProposalState.APPROVED_WITH_CONDITIONS):
            for condition in proposal.conditions.filter(met_at__isnull=True):
                self.act(
                    "condition met",
                    lambda condition=condition: record_condition_met(
                        condition=condition, by=secretary, note="Done."
                    ),
                )
            self.act("go live", lambda: go_live(proposal=proposal))

    def fill_in_as(self, proposal: Proposal, by) -> None:
        def action():
            for section in sections_for(proposal.model):
                save_pro_forma_section(
                    proposal=proposal,
                    section=section.key,
                    answers=COMPLETE_ANSWERS[section.key],
                    by=by,
                )

        self.act("fill in", action)

    # -- what must always hold -------------------------------------------------------------

    @invariant()
    def every_state_is_in_the_graph(self) -> None:
        states = set(Proposal.objects.values_list("state", flat=True))
        assert states <= STATES, states - STATES

    @invariant()
    def nobody_sees_what_is_not_theirs(self) -> None:
        proposals = list(Proposal.objects.prefetch_related("partner_links"))
        partners = {p.pk: {link.ccg_id for link in p.partner_links.all()} for p in proposals}
        for name, person in self.people.items():
            seen = set(Proposal.objects.visible_to(person).values_list("pk", flat=True))
            allowed = {p.pk for p in proposals if may_see(person, p, partners[p.pk])}
            assert seen == allowed, (name, seen - allowed, allowed - seen)
            if person.role == Role.CCG_STAFF:
                foreign = {
                    p.pk
                    for p in proposals
                    if person.ccg_id != p.ccg_id and person.ccg_id not in partners[p.pk]
                }
                assert not seen & foreign, f"{name} sees a foreign CCG's proposal"


@pytest.mark.django_db
def test_the_proposal_workflow_under_random_people_and_time(capsys):
    world = build_world()
    for ccg in world["ccgs"].values():
        AREA_TEAM_OF[ccg.pk] = ccg.area_team_id
        REGION_OF[ccg.pk] = ccg.area_team.region_id
    ProposalWorkflow.world = world
    stats.clear()
    run_state_machine_as_test(
        ProposalWorkflow,
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    with capsys.disabled():
        print(  # noqa: T201 - the figures the test run is reported with
            f"\nHypothesis: {stats['examples']} examples, {stats['done']} actions done, "
            f"{stats['refused']} refused, {stats['created']} proposals created, "
            f"{stats['transitions']} transitions; reached: "
            + ", ".join(sorted(k for k in stats if "->" in k))
        )
    assert stats["examples"] >= MAX_EXAMPLES
    assert stats["transitions"] > 0 and stats["refused"] > 0
