"""Site-wide template context: the service name and the navigation bar."""

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# (label, URL name). Items whose route does not exist are left out.
NAVIGATION = [
    ("Dashboard", "reports:dashboard"),
    ("Contracts", "contracts:portfolio"),
    ("Review queue", "workflows:review_queue"),
    ("Frameworks", "matrix:framework_list"),
    ("Notifications", "monitoring:notifications"),
]


def site(request: HttpRequest) -> dict:
    items = []
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        for label, name in NAVIGATION:
            try:
                url = reverse(name)
            except NoReverseMatch:
                continue
            items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return {"SITE_NAME": settings.SITE_NAME, "NAVIGATION": items}
