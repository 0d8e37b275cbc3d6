from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse


def home(request: HttpRequest) -> HttpResponse:
    for name in ("reports:dashboard", "contracts:portfolio", "matrix:framework_list"):
        try:
            return redirect(reverse(name))
        except NoReverseMatch:
            continue
    return redirect("admin:index")


@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the reverse proxy and orchestrator: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
