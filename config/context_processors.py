"""Site-wide template context: the service name and the navigation bar."""

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

# (label, URL name). Items whose route does not exist are left out.
NAVIGATION = [
    ("Dashboard", "reports:dashboard"),
    ("Contracts", "contracts:portfolio"),
    ("Review queue", "workflows:review_queue"),
    ("Frameworks", "matrix:framework_list"),
    ("Notifications", "monitoring:notifications"),
]


def _unread_notifications(user) -> int:
    from monitoring.selectors import unread_count

    return unread_count(user)


#: Navigation items that show a count beside their label: URL name → function of the user.
BADGES = {"monitoring:notifications": _unread_notifications}


def site(request: HttpRequest) -> dict:
    items = []
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        for label, name in NAVIGATION:
            try:
                url = reverse(name)
            except NoReverseMatch:
                continue
            item = {"label": label, "url": url, "active": request.path.startswith(url)}
            if name in BADGES:
                # Counted only if the page renders it: one indexed COUNT query.
                user, count = request.user, BADGES[name]
                item["badge"] = SimpleLazyObject(lambda user=user, count=count: count(user))
            items.append(item)
    return {"SITE_NAME": settings.SITE_NAME, "NAVIGATION": items}
