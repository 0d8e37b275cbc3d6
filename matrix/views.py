"""Framework pages: the list, the matrix grid, and its spreadsheet downloads.

Frameworks are not tied to one contract: published and retired versions are for everyone signed
in; a draft only for staff and for people who can see a contract that uses it
(`selectors.visible_frameworks`). Anything else answers 404.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from audit.models import AuditEvent
from audit.services import record
from reports.csv import csv_response, wants_csv

from . import selectors
from .exporter import CONTENT_TYPES, export


@require_GET
def framework_list(request: HttpRequest) -> HttpResponse:
    frameworks = selectors.framework_list(request.user)
    if wants_csv(request):
        return csv_response(
            "frameworks.csv",
            ["Name", "Version", "Status", "Categories", "Focus areas", "Levels", "Published"],
            (
                [
                    f.name,
                    f.version,
                    f.get_status_display(),
                    getattr(f, "category_count", ""),
                    getattr(f, "focus_area_count", ""),
                    getattr(f, "level_count", ""),
                    f.published_at.date() if f.published_at else "",
                ]
                for f in frameworks
            ),
        )
    return render(
        request,
        "matrix/framework_list.html",
        {"frameworks": frameworks, "can_import": request.user.has_perm("matrix.add_framework")},
    )


@require_GET
def framework_detail(request: HttpRequest, pk: int) -> HttpResponse:
    framework = get_object_or_404(
        selectors.visible_frameworks(request.user).select_related("tailored_from"), pk=pk
    )
    grid = selectors.framework_grid(framework)
    return render(
        request,
        "matrix/framework_detail.html",
        {
            "framework": framework,
            "grid": grid,
            "preamble": _paragraphs(framework.preamble),
            "notes": _paragraphs(framework.notes),
        },
    )


@require_GET
def framework_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    framework = get_object_or_404(selectors.visible_frameworks(request.user), pk=pk)
    data = export(selectors.framework_spec(framework), fmt)
    record(
        actor=request.user,
        action=AuditEvent.Action.DOWNLOAD,
        obj=framework,
        comment=f"Framework exported as {fmt.upper()}.",
    )
    filename = f"{slugify(framework.name) or 'framework'}-v{framework.version}.{fmt}"
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]
