"""Dashboards and exports. Every table here downloads as CSV through `reports.csv`, and every
export goes through the same access rule as its page (404 outside the user's contracts)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from contracts.access import get_contract_for, visible_contracts
from contracts.models import Contract, Organisation
from contracts.roles import Action
from contracts.selectors import contract_grid

from . import selectors
from .csv import csv_response


def _int_or_none(value: str | None) -> int | None:
    """An id from the query string, or None for anything that is not one (a filter that cannot
    match is ignored rather than answered with an error)."""
    if value and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _dashboard_rows(request: HttpRequest):
    state = request.GET.get("state", "")
    filters = {
        "state": state if state in Contract.State.values else "",
        "authority_id": _int_or_none(request.GET.get("authority")),
        "provider_id": _int_or_none(request.GET.get("provider")),
        "sort": request.GET.get("sort", "reference"),
    }
    if filters["sort"] not in selectors.SORTS:
        filters["sort"] = "reference"
    rows = selectors.dashboard(request.user, today=timezone.localdate(), **filters)
    return rows, filters


def dashboard(request: HttpRequest) -> HttpResponse:
    rows, filters = _dashboard_rows(request)
    visible = visible_contracts(request.user)
    return render(
        request,
        "reports/dashboard.html",
        {
            "rows": rows,
            "filters": filters,
            "states": Contract.State.choices,
            "authorities": Organisation.objects.filter(
                contracts_as_authority__in=visible
            ).distinct(),
            "providers": Organisation.objects.filter(contracts_as_provider__in=visible).distinct(),
            "sorts": [
                ("reference", "Reference"),
                ("title", "Title"),
                ("provider", "Provider"),
                ("ends", "End date"),
                ("red", "Most red"),
                ("due", "Most targets due"),
                ("flags", "Most open flags"),
                ("awaiting", "Most awaiting me"),
            ],
            "totals": {
                key: sum(getattr(row, key) for row in rows)
                for key in ("due_soon", "open_flags", "awaiting_me")
            },
            "query": request.GET.urlencode(),
        },
    )


DASHBOARD_HEADER = [
    "Reference",
    "Title",
    "Authorities",
    "Provider",
    "Status",
    "End date",
    "Red",
    "Amber",
    "Green",
    "No target or waived",
    "Targets due in 90 days",
    "Open flags",
    "Claims awaiting me",
]


def dashboard_csv(request: HttpRequest) -> HttpResponse:
    rows, _ = _dashboard_rows(request)
    return csv_response(
        "dashboard.csv",
        DASHBOARD_HEADER,
        (
            [
                row.contract.reference,
                row.contract.title,
                "; ".join(a.name for a in row.contract.authorities.all()),
                row.contract.provider.name,
                row.contract.get_state_display(),
                row.contract.end_date.isoformat(),
                row.rag.get("red", 0),
                row.rag.get("amber", 0),
                row.rag.get("green", 0),
                row.rag.get("grey", 0),
                row.due_soon,
                row.open_flags,
                row.awaiting_me,
            ]
            for row in rows
        ),
    )


MATRIX_HEADER = [
    "Category",
    "Focus area",
    "Current level",
    "Target level",
    "Target due",
    "Target status",
    "Level at the last closed cycle",
]


def matrix_csv(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)
    access.require(Action.EXPORT)
    grid = contract_grid(access.contract, timezone.localdate())
    from contracts.models import Target

    def rows():
        for category in grid.categories:
            for row in category.rows:
                track = row.track
                yield [
                    category.name,
                    track.focus_area.name,
                    track.level_rank,
                    track.target_rank if track.target_rank is not None else "",
                    track.target_due.isoformat() if track.target_due else "",
                    Target.Status(track.target_status).label if track.target_status else "",
                    "" if row.previous_rank is None else row.previous_rank,
                ]

    return csv_response(f"contract-{access.contract.pk}-matrix.csv", MATRIX_HEADER, rows())


def _pack_for(request: HttpRequest, pk: int, meeting_pk: int):
    from django.http import Http404

    from .boardpack import build_board_pack

    access = get_contract_for(request.user, pk)
    access.require(Action.EXPORT)
    meeting = access.contract.board_meetings.filter(pk=meeting_pk).first()
    if meeting is None:
        raise Http404("No such board meeting.")
    return build_board_pack(access.contract, meeting)


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _pack_name(pack, extension: str) -> str:
    return f"board-pack-{pack.contract.pk}-{pack.meeting.held_on:%Y-%m-%d}.{extension}"


def board_pack_pdf(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    from .boardpack import render_pdf

    pack = _pack_for(request, pk, meeting_pk)
    return _attachment(render_pdf(pack), "application/pdf", _pack_name(pack, "pdf"))


def board_pack_xlsx(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    from .boardpack import render_xlsx

    pack = _pack_for(request, pk, meeting_pk)
    return _attachment(
        render_xlsx(pack),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _pack_name(pack, "xlsx"),
    )
