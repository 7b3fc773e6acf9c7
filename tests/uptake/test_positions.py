from applications.models import ProposalState
from uptake.positions import ENDED_STATES, IN_PLAY_STATES, STAGE_STATES, STATE_ORDER


def test_every_state_is_either_in_play_or_ended_and_in_exactly_one_stage():
    states = sorted(ProposalState.values)
    assert sorted([*IN_PLAY_STATES, *ENDED_STATES]) == states
    assert sorted(s for group in STAGE_STATES.values() for s in group) == states
    assert sorted(STATE_ORDER) == sorted([*states, "no_proposal"])
