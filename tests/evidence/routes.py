"""Access expectations for the evidence pages, uploads and downloads."""

from tests.access_spec import ALL_ROLES, PROVIDER, RouteSpec
from tests.evidence.factories import make_item


def _item(party) -> dict:
    return {"pk": make_item(party).pk}


ROUTES = {
    "evidence:track": RouteSpec(kwargs=lambda party: {"track_pk": party.track.pk}),
    "evidence:upload": RouteSpec(
        kwargs=lambda party: {"track_pk": party.track.pk},
        allowed=PROVIDER,
        methods=("GET", "POST"),
    ),
    "evidence:item": RouteSpec(kwargs=_item, allowed=ALL_ROLES),
    "evidence:download": RouteSpec(kwargs=_item, allowed=ALL_ROLES),
    "evidence:supersede": RouteSpec(kwargs=_item, allowed=PROVIDER, methods=("GET", "POST")),
    "evidence:withdraw": RouteSpec(kwargs=_item, allowed=PROVIDER, methods=("GET", "POST")),
}
