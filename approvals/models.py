# Review checklists, committee meetings and sign-off packs build on applications.Proposal.
