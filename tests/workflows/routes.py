"""Access expectations for the claim, review and board pages."""

import datetime as dt

from contracts.roles import Role
from tests.access_spec import CLIENT, PROVIDER, RouteSpec
from workflows.models import BoardDecision, BoardMeeting

BOARD = frozenset({Role.BOARD_MEMBER})
CLIENT_LEAD = frozenset({Role.CLIENT_LEAD})


def _claim(party, to="draft"):
    from tests.workflows.factories import walk

    return walk(party, to)


def _claim_kwargs(to="draft"):
    return lambda party: {"pk": _claim(party, to).pk}


def _meeting(party):
    return BoardMeeting.objects.create(contract=party.contract, held_on=dt.date.today())


def _decision(party):
    from workflows import services

    return services.record_decision(
        contract=party.contract,
        actor=party.users[Role.BOARD_MEMBER],
        kind=BoardDecision.Kind.NO_ACTION,
        clause="12.3",
        rationale="Performance as expected.",
    )


ROUTES = {
    "workflows:claim_list": RouteSpec(global_route=True),
    "workflows:review_queue": RouteSpec(global_route=True),
    "workflows:claim_new": RouteSpec(
        kwargs=lambda party: {"track_pk": party.track.pk},
        allowed=PROVIDER,
        methods=("GET", "POST"),
    ),
    "workflows:regression_new": RouteSpec(
        kwargs=lambda party: {"track_pk": party.track.pk},
        allowed=CLIENT_LEAD,
        methods=("GET", "POST"),
    ),
    "workflows:assessment_detail": RouteSpec(kwargs=_claim_kwargs()),
    "workflows:assessment_edit": RouteSpec(
        kwargs=_claim_kwargs(), allowed=PROVIDER, methods=("GET", "POST")
    ),
    "workflows:assessment_history_csv": RouteSpec(kwargs=_claim_kwargs()),
    # Transitions are POST-only: a GET answers 405 to the allowed roles.
    "workflows:submit": RouteSpec(
        kwargs=_claim_kwargs(), allowed=frozenset({Role.PROVIDER_LEAD}), methods=("POST",)
    ),
    "workflows:start_review": RouteSpec(
        kwargs=_claim_kwargs("submitted"), allowed=CLIENT, methods=("POST",)
    ),
    "workflows:return_for_evidence": RouteSpec(
        kwargs=_claim_kwargs("under_review"), allowed=CLIENT, methods=("POST",)
    ),
    "workflows:agree": RouteSpec(
        kwargs=_claim_kwargs("under_review"), allowed=CLIENT, methods=("POST",)
    ),
    "workflows:reject": RouteSpec(
        kwargs=_claim_kwargs("under_review"), allowed=CLIENT_LEAD, methods=("POST",)
    ),
    "workflows:confirm": RouteSpec(
        kwargs=_claim_kwargs("agreed"), allowed=BOARD, methods=("POST",)
    ),
    "workflows:refer_back": RouteSpec(
        kwargs=_claim_kwargs("agreed"), allowed=BOARD, methods=("POST",)
    ),
    "workflows:withdraw": RouteSpec(
        kwargs=_claim_kwargs("submitted"),
        allowed=frozenset({Role.PROVIDER_LEAD}),
        methods=("POST",),
    ),
    "workflows:board_agenda": RouteSpec(kwargs=lambda party: {"contract_pk": party.contract.pk}),
    "workflows:meeting_new": RouteSpec(
        kwargs=lambda party: {"contract_pk": party.contract.pk},
        allowed=BOARD,
        methods=("GET", "POST"),
    ),
    "workflows:decision_ledger": RouteSpec(kwargs=lambda party: {"contract_pk": party.contract.pk}),
    "workflows:meeting_detail": RouteSpec(kwargs=lambda party: {"pk": _meeting(party).pk}),
    "workflows:meeting_edit": RouteSpec(
        kwargs=lambda party: {"pk": _meeting(party).pk}, allowed=BOARD, methods=("GET", "POST")
    ),
    "workflows:decision_new": RouteSpec(
        kwargs=lambda party: {"pk": _meeting(party).pk}, allowed=BOARD, methods=("GET", "POST")
    ),
    "workflows:decision_detail": RouteSpec(kwargs=lambda party: {"pk": _decision(party).pk}),
}


def _api(name, to, allowed):
    return RouteSpec(kwargs=_claim_kwargs(to), allowed=allowed, methods=("POST",), anonymous=403)


ROUTES.update(
    {
        "api:assessment-list": RouteSpec(global_route=True, anonymous=403),
        "api:assessment-detail": RouteSpec(kwargs=_claim_kwargs(), anonymous=403),
        "api:assessment-submit": _api("submit", "draft", frozenset({Role.PROVIDER_LEAD})),
        "api:assessment-start-review": _api("start_review", "submitted", CLIENT),
        "api:assessment-return-for-evidence": _api("return_for_evidence", "under_review", CLIENT),
        "api:assessment-agree": _api("agree", "under_review", CLIENT),
        "api:assessment-reject": _api("reject", "under_review", CLIENT_LEAD),
        "api:assessment-confirm": _api("confirm", "agreed", BOARD),
        "api:assessment-refer-back": _api("refer_back", "agreed", BOARD),
        "api:assessment-withdraw": _api("withdraw", "submitted", frozenset({Role.PROVIDER_LEAD})),
    }
)
