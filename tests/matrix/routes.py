"""Access expectations for the framework pages. Frameworks are not tied to one contract (global
routes); a draft's invisibility to outsiders is tested in tests/matrix/test_pages.py."""

from tests.access_spec import RouteSpec


def _published_framework(party) -> dict:
    return {"pk": party.contract.framework_id}


ROUTES = {
    "matrix:framework_list": RouteSpec(global_route=True),
    "matrix:framework_detail": RouteSpec(global_route=True, kwargs=_published_framework),
    "matrix:framework_export_xlsx": RouteSpec(global_route=True, kwargs=_published_framework),
    "matrix:framework_export_tsv": RouteSpec(global_route=True, kwargs=_published_framework),
}
