"""Notifications (a person's own) and the flags of a contract.

A person's notifications are looked up by recipient, so someone else's answers 404. The flags
pages fetch the contract through the access rule (`contracts.access`): outside the person's
contracts, 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from contracts.access import get_contract_for
from contracts.roles import Action
from reports.csv import csv_response, wants_csv

from . import selectors, services
from .forms import EmailPreferencesForm
from .models import Notification, NotificationPreference

PAGE_SIZE = 50
FLAG_FILTERS = {"open": "Open", "resolved": "Resolved", "all": "All"}


def _page(request: HttpRequest, queryset, size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


@require_http_methods(["GET"])
def notification_list(request: HttpRequest) -> HttpResponse:
    if wants_csv(request):
        return csv_response(
            "notifications.csv",
            ["Created", "Subject", "Kind", "Status", "Read"],
            (
                [
                    n.created_at.date(),
                    n.subject,
                    n.kind,
                    n.get_status_display(),
                    n.read_at.date() if n.read_at else "",
                ]
                for n in selectors.notifications_for(request.user)
            ),
        )
    page = _page(request, selectors.notifications_for(request.user))
    return render(
        request,
        "monitoring/notification_list.html",
        {"page": page, "unread": selectors.unread_count(request.user)},
    )


@require_POST
def notification_mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.mark_read(actor=request.user, notification=notification)
    return redirect(_back(request))


@require_POST
def notifications_mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(actor=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("monitoring:notifications")


def _back(request: HttpRequest) -> str:
    from django.urls import reverse
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("monitoring:notifications")


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    opted_out = set(
        NotificationPreference.objects.filter(user=request.user).values_list("kind", flat=True)
    )
    if request.method == "POST":
        form = EmailPreferencesForm(request.POST)
        if form.is_valid():
            services.set_email_opt_outs(actor=request.user, opted_out=form.opted_out())
            messages.success(request, "Your email preferences have been saved.")
            return redirect("monitoring:preferences")
    else:
        form = EmailPreferencesForm(
            initial={
                "email_kinds": [
                    code
                    for code, _ in EmailPreferencesForm().fields["email_kinds"].choices
                    if code not in opted_out
                ]
            }
        )
    return render(request, "monitoring/preferences.html", {"form": form})


def _only_get(request: HttpRequest) -> HttpResponse | None:
    """Contract pages answer an outsider 404 whatever the method, so the method is checked after
    the contract lookup."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return None


def contract_flags(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)
    if refused := _only_get(request):
        return refused
    access.require(Action.VIEW)
    show = request.GET.get("show", "all")
    if show not in FLAG_FILTERS:
        show = "all"
    flags = selectors.flags_for(access.contract, show=show)
    return render(
        request,
        "monitoring/contract_flags.html",
        {
            "contract": access.contract,
            "access": access,
            "page": _page(request, flags, 100),
            "show": show,
            "filters": FLAG_FILTERS,
            "caption": f"{FLAG_FILTERS[show]} flags",
            "open_count": selectors.open_flags_for(access.contract).count(),
        },
    )


def contract_flags_csv(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)
    if refused := _only_get(request):
        return refused
    access.require(Action.EXPORT)
    contract = access.contract
    flags = selectors.flags_for(contract).order_by("raised_at", "id")

    def rows():
        for flag in flags.iterator(chunk_size=500):
            yield [
                flag.pk,
                flag.get_kind_display(),
                flag.get_severity_display(),
                "Open" if flag.is_open else "Resolved",
                flag.track.focus_area.name if flag.track_id else "",
                f"Level {flag.target.level_rank} by {flag.target.due_date:%Y-%m-%d}"
                if flag.target_id
                else "",
                flag.detail,
                timezone.localtime(flag.raised_at).isoformat(timespec="seconds"),
                timezone.localtime(flag.resolved_at).isoformat(timespec="seconds")
                if flag.resolved_at
                else "",
            ]

    filename = f"flags-{_ascii(contract.reference)}-{timezone.localdate():%Y%m%d}.csv"
    header = [
        "Flag",
        "Kind",
        "Severity",
        "Status",
        "Focus area",
        "Target",
        "Detail",
        "Raised",
        "Resolved",
    ]
    return csv_response(filename, header, rows())


def _ascii(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in text)
