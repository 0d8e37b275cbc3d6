"""Evidence pages: a track's evidence, item pages with their versions, uploads and downloads.

Every object is fetched through the access rule (404 outside the person's contracts); uploading,
new versions and withdrawals need `Action.UPLOAD_EVIDENCE` (403 for the other roles).

The upload views read the request body through `EvidenceUploadHandler`, which must be installed
before anything touches ``request.POST``; CSRF middleware would read it first, so these views are
exempt from the middleware and check the token themselves (`csrf_protect` on the inner view), the
pattern Django documents for per-view upload handlers.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import unicodedata
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFilesSent,
    ValidationError,
)
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from contracts.access import contract_access, get_scoped_or_404, get_track_for
from contracts.roles import Action
from reports.csv import csv_response, wants_csv

from . import services
from .forms import EvidenceUploadForm, SupersedeForm, WithdrawForm
from .models import EvidenceItem
from .selectors import ALL_LEVELS, current_cycle, evidence_status, track_items, version_chain
from .storage import evidence_storage, is_local
from .uploadhandler import EvidenceUploadHandler


def _allowed(request: HttpRequest, *methods: str) -> HttpResponse | None:
    """405 for other methods – checked after the object lookup, so outsiders still get 404."""
    if request.method in methods or (request.method == "HEAD" and "GET" in methods):
        return None
    return HttpResponseNotAllowed(methods)


def _over_upload_limit(request: HttpRequest) -> HttpResponse | None:
    """429 before the body is read, once a person has uploaded too many files this hour."""
    from .selectors import uploads_in_last_hour

    if request.method != "POST":
        return None
    limit = settings.EVIDENCE_UPLOADS_PER_HOUR
    if uploads_in_last_hour(request.user) < limit:
        return None
    response = TemplateResponse(
        request,
        "evidence/too_many_uploads.html",
        {"limit": limit},
        status=429,
    )
    response["Retry-After"] = "3600"
    return response


def _get_item(request: HttpRequest, pk: int) -> EvidenceItem:
    return get_scoped_or_404(
        request.user,
        EvidenceItem.objects.select_related(
            "track__contract__framework",
            "track__contract__provider",
            "track__focus_area",
            "evidence_type",
            "uploaded_by",
            "withdrawn_by",
            "supersedes",
            "superseded_by",
        ),
        "track__contract",
        pk=pk,
    )


def track_evidence(request: HttpRequest, track_pk: int) -> HttpResponse:
    """The evidence types of the track's focus area, which are covered for the current cycle,
    and every item uploaded, with the upload form for providers."""
    track, access = get_track_for(request.user, track_pk)
    access.require(Action.VIEW)
    if refused := _allowed(request, "GET"):
        return refused
    if wants_csv(request):
        return csv_response(
            f"track-{track.pk}-evidence.csv",
            ["File", "Evidence type", "Period from", "Period to", "Uploaded", "By", "Bytes"]
            + ["SHA-256", "Withdrawn", "Withdrawal reason"],
            (
                [
                    item.original_filename,
                    item.evidence_type.name,
                    item.period_start,
                    item.period_end,
                    item.uploaded_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
                    item.uploaded_by.get_username(),
                    item.size_bytes,
                    item.sha256,
                    item.withdrawn_at.date() if item.withdrawn_at else "",
                    item.withdrawal_reason,
                ]
                for item in track_items(track)
            ),
        )
    cycle = current_cycle(track.contract)
    statuses = evidence_status(track, cycle, ALL_LEVELS) if cycle is not None else None
    can_upload = access.can(Action.UPLOAD_EVIDENCE)
    context = {
        "track": track,
        "contract": track.contract,
        "cycle": cycle,
        "statuses": statuses,
        "items": track_items(track),
        "can_upload": can_upload,
        "form": EvidenceUploadForm(track=track) if can_upload else None,
    }
    return TemplateResponse(request, "evidence/track.html", context)


def _install_handler(request: HttpRequest) -> EvidenceUploadHandler:
    handler = EvidenceUploadHandler(request)
    request.upload_handlers = [handler]
    return handler


def _parse_body(request: HttpRequest) -> str | None:
    """Reads the body through the upload handler; returns why it could not be read, if so."""
    try:
        request.POST  # noqa: B018 - parses the body (and FILES) through the handler
        request.FILES  # noqa: B018
    except TooManyFilesSent:
        return (
            f"Upload one file at a time (no more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} "
            "files are read from one request)."
        )
    except (RequestDataTooBig, MultiPartParserError, SuspiciousOperation):
        return "The upload could not be read. Choose the file again and resend the form."
    return None


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _refused(form, message: str) -> None:
    form.errors.pop("file", None)
    form.add_error("file", message)


def _upload_response(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    return TemplateResponse(request, template, context, status=status)


def _uploaded(request: HttpRequest, item: EvidenceItem) -> HttpResponse:
    """Where to go after an upload: a redirect, or for the progress script the page to open."""
    url = reverse("evidence:item", kwargs={"pk": item.pk})
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return JsonResponse({"location": url}, status=201)
    return redirect(url)


@csrf_exempt
def upload(request: HttpRequest, track_pk: int) -> HttpResponse:
    """A new evidence item for the track: a plain form, streamed through the upload handler."""
    track, access = get_track_for(request.user, track_pk)
    access.require(Action.UPLOAD_EVIDENCE)
    return _streamed(request, _upload_form, track=track)


def _streamed(request: HttpRequest, form_view, **kwargs) -> HttpResponse:
    """GET shows the form; POST streams the body through the upload handler (after the rate
    limit), and whatever happens no temporary file outlives the request."""
    if refused := _allowed(request, "GET", "POST"):
        return refused
    if request.method != "POST":
        return form_view(request, **kwargs)
    if limited := _over_upload_limit(request):
        return limited
    handler = _install_handler(request)
    try:
        return form_view(request, handler=handler, **kwargs)
    finally:
        handler.discard_all()


def _receive(request, handler, *, context, template, make_form, store, done: str):
    """The second half of every upload (a new item or a new version): the handler's refusal,
    then the form, then the service; each refusal shows the form again with what to fix."""
    unreadable = _parse_body(request)
    form = make_form()
    context["form"] = form
    refusal = handler.refusal or unreadable
    if refusal:
        form.full_clean()
        _refused(form, refusal)
        status = handler.refusal_status if handler.refusal else 400
        return _upload_response(request, template, context, status)
    if not form.is_valid():
        return _upload_response(request, template, context, 400)
    try:
        item = store(form.cleaned_data)
    except ValidationError as exc:
        _apply_errors(form, exc)
        context["duplicate_of"] = getattr(exc, "existing", None)
        return _upload_response(request, template, context, 400)
    messages.success(request, done.format(name=item.original_filename))
    return _uploaded(request, item)


@csrf_protect
def _upload_form(request, *, track, handler: EvidenceUploadHandler | None = None):
    context = {"track": track, "contract": track.contract}
    if handler is None:
        context["form"] = EvidenceUploadForm(track=track)
        return _upload_response(request, "evidence/upload.html", context)
    return _receive(
        request,
        handler,
        context=context,
        template="evidence/upload.html",
        make_form=lambda: EvidenceUploadForm(request.POST, request.FILES, track=track),
        store=lambda data: services.upload_evidence(actor=request.user, track=track, **data),
        done="“{name}” was uploaded.",
    )


def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _get_item(request, pk)
    track = item.track
    access = contract_access(request.user, track.contract)
    access.require(Action.VIEW)
    if refused := _allowed(request, "GET"):
        return refused
    chain = version_chain(item)
    is_head = chain[0].pk == item.pk
    can_change = access.can(Action.UPLOAD_EVIDENCE) and item.withdrawn_at is None
    context = {
        "item": item,
        "track": track,
        "contract": track.contract,
        "versions": [(len(chain) - i, version) for i, version in enumerate(chain)],
        "is_head": is_head,
        "can_supersede": can_change and is_head,
        "can_withdraw": can_change,
        "open_flags": item.flags.filter(resolved_at__isnull=True),
        "supersede_form": SupersedeForm(
            initial={"period_start": item.period_start, "period_end": item.period_end}
        ),
        "withdraw_form": WithdrawForm(),
    }
    return TemplateResponse(request, "evidence/item.html", context)


def _item_with_access(request: HttpRequest, pk: int, action: str):
    item = _get_item(request, pk)
    access = contract_access(request.user, item.track.contract)
    access.require(action)
    return item, access


@csrf_exempt
def supersede(request: HttpRequest, pk: int) -> HttpResponse:
    """A new version of an item; the old one stays, linked in the version chain."""
    item, _ = _item_with_access(request, pk, Action.UPLOAD_EVIDENCE)
    return _streamed(request, _supersede_form, item=item)


@csrf_protect
def _supersede_form(request, *, item, handler: EvidenceUploadHandler | None = None):
    context = {"item": item, "track": item.track, "contract": item.track.contract}
    if handler is None:
        context["form"] = SupersedeForm(
            initial={"period_start": item.period_start, "period_end": item.period_end}
        )
        return _upload_response(request, "evidence/supersede.html", context)
    return _receive(
        request,
        handler,
        context=context,
        template="evidence/supersede.html",
        make_form=lambda: SupersedeForm(request.POST, request.FILES),
        store=lambda data: services.supersede(actor=request.user, item=item, **data),
        done="“{name}” is now the current version.",
    )


def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    item, _ = _item_with_access(request, pk, Action.UPLOAD_EVIDENCE)
    if refused := _allowed(request, "GET", "POST"):
        return refused
    form = WithdrawForm(request.POST or None)
    context = {"item": item, "track": item.track, "contract": item.track.contract, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw(actor=request.user, item=item, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"“{item.original_filename}” was withdrawn.")
            return redirect("evidence:item", pk=item.pk)
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "evidence/withdraw.html", context, status=status)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name in RFC 5987 form."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r"[^A-Za-z0-9 ._()\-]", "_", fallback).strip(" .") or "evidence"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(request: HttpRequest, pk: int) -> HttpResponse:
    """Serves the stored file as an attachment, after checking it still has its SHA-256."""
    item, _ = _item_with_access(request, pk, Action.VIEW)
    if refused := _allowed(request, "GET"):
        return refused
    storage = evidence_storage()
    try:
        if is_local(storage):
            services.checked_blob(item, spool=None)
            # FileResponse closes the handle once the response is sent.
            handle = open(storage.path(item.storage_key), "rb")  # noqa: SIM115
        else:
            handle = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115
            try:
                services.checked_blob(item, spool=handle)
            except BaseException:
                handle.close()
                raise
    except (services.ChecksumMismatch, FileNotFoundError) as exc:
        missing = isinstance(exc, FileNotFoundError)
        return TemplateResponse(
            request,
            "evidence/file_unavailable.html",
            {"item": item, "track": item.track, "missing": missing},
            status=503,
        )
    services.record_download(actor=request.user, item=item)
    response = FileResponse(handle, content_type=item.content_type)
    response["Content-Disposition"] = content_disposition(item.original_filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
