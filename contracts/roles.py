"""Roles people hold, and which actions each role may take on a contract.

This table is the single statement of who may do what; `contracts.access` applies it.
"""

from django.db import models


class Role(models.TextChoices):
    CLIENT_OFFICER = "client_officer", "Client officer"
    CLIENT_LEAD = "client_lead", "Client lead"
    PROVIDER_CONTRIBUTOR = "provider_contributor", "Provider contributor"
    PROVIDER_LEAD = "provider_lead", "Provider lead"
    BOARD_MEMBER = "board_member", "Board member"
    AUDITOR = "auditor", "Auditor"


CLIENT_ROLES = frozenset({Role.CLIENT_OFFICER, Role.CLIENT_LEAD})
PROVIDER_ROLES = frozenset({Role.PROVIDER_CONTRIBUTOR, Role.PROVIDER_LEAD})
ORGANISATION_ROLES = CLIENT_ROLES | PROVIDER_ROLES


class Action(models.TextChoices):
    VIEW = "view", "View the contract"
    MANAGE_CONTRACT = "manage_contract", "Manage the contract and its lifecycle"
    MANAGE_CYCLES = "manage_cycles", "Manage review cycles and annual plans"
    SET_TARGET = "set_target", "Set and revise targets"
    UPLOAD_EVIDENCE = "upload_evidence", "Upload and withdraw evidence"
    DRAFT_CLAIM = "draft_claim", "Draft level claims"
    SUBMIT_CLAIM = "submit_claim", "Submit and withdraw claims"
    REVIEW = "review", "Review claims"
    REJECT = "reject", "Reject claims and open regressions"
    RATIFY = "ratify", "Confirm agreed levels and refer back"
    DECIDE = "decide", "Record board decisions"
    EXPORT = "export", "Export tables and board packs"


PERMISSIONS: dict[str, frozenset[str]] = {
    Action.VIEW: frozenset(Role),
    Action.MANAGE_CONTRACT: frozenset({Role.CLIENT_LEAD}),
    Action.MANAGE_CYCLES: frozenset({Role.CLIENT_LEAD}),
    Action.SET_TARGET: frozenset({Role.CLIENT_LEAD}),
    Action.UPLOAD_EVIDENCE: frozenset({Role.PROVIDER_CONTRIBUTOR, Role.PROVIDER_LEAD}),
    Action.DRAFT_CLAIM: frozenset({Role.PROVIDER_CONTRIBUTOR, Role.PROVIDER_LEAD}),
    Action.SUBMIT_CLAIM: frozenset({Role.PROVIDER_LEAD}),
    Action.REVIEW: frozenset({Role.CLIENT_OFFICER, Role.CLIENT_LEAD}),
    Action.REJECT: frozenset({Role.CLIENT_LEAD}),
    Action.RATIFY: frozenset({Role.BOARD_MEMBER}),
    Action.DECIDE: frozenset({Role.BOARD_MEMBER}),
    Action.EXPORT: frozenset(Role),
}
