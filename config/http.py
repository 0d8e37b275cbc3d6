"""Shared HTTP answers that every app gives the same way."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

CHANGED_BY_SOMEONE_ELSE = "This was changed by someone else – reload the page and try again."


def conflict(request: HttpRequest, message: str = CHANGED_BY_SOMEONE_ELSE) -> HttpResponse:
    """409: a concurrent change won; nothing from this request was saved."""
    return TemplateResponse(request, "409.html", {"message": message}, status=409)
