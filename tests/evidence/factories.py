"""Evidence made the way the product makes it: through the upload service, with a real file."""

from __future__ import annotations

import datetime as dt
import itertools

from django.core.files.base import ContentFile

from contracts.roles import Role
from evidence.services import upload_evidence
from tests.evidence import files

_seeds = itertools.count(1000)


def evidence_file(ext: str = "pdf", seed: int | None = None, name: str | None = None):
    seed = next(_seeds) if seed is None else seed
    return ContentFile(files.VALID[ext](seed), name=name or f"report-{seed}.{ext}")


def make_item(party, *, track=None, evidence_type=None, ext: str = "pdf", **kwargs):
    """An evidence item uploaded by the party's provider contributor."""
    track = track or party.track
    evidence_type = evidence_type or track.focus_area.evidence_types.order_by("order").first()
    today = dt.date.today()
    return upload_evidence(
        actor=kwargs.pop("actor", party.users[Role.PROVIDER_CONTRIBUTOR]),
        track=track,
        evidence_type=evidence_type,
        file=kwargs.pop("file", None) or evidence_file(ext),
        period_start=kwargs.pop("period_start", today - dt.timedelta(days=60)),
        period_end=kwargs.pop("period_end", today - dt.timedelta(days=1)),
        description=kwargs.pop("description", "Quarterly report"),
    )
