"""The review and committee pages: regional reviewers' queue and review, the Commissioning
Committee's meetings, agenda and decisions, sign-off packs and decision letters."""
