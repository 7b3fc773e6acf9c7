"""Domain errors: each carries a sentence a view can show as it is."""


class ProposalError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotPermitted(ProposalError):
    """The person may not do this to this proposal."""


class TransitionRefused(ProposalError):
    """Not possible in the proposal's current state, or a condition is not met."""

    def __init__(self, message: str, unmet: list[str] | None = None) -> None:
        super().__init__(message)
        self.unmet = unmet or []


class ProposalChanged(ProposalError):
    """Someone else changed the proposal since the person loaded the page."""


class InvalidProposal(ProposalError):
    """The proposal as asked for cannot exist (wrong partners, a model below the current one)."""
