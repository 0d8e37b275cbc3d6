"""The board pack: what a strategic board needs on the table for one contract at one meeting.

Built once as plain data (a fixed number of queries whatever the contract's size), then rendered
as a PDF (WeasyPrint, from an HTML template and the site's own stylesheets) and as an XLSX
workbook (openpyxl, one sheet per section). Text cells are always written as text, so a value
such as ``=HYPERLINK(...)`` never becomes a formula.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from contracts.models import Contract, Target, Track
from contracts.selectors import ContractGrid, contract_grid, level_changes

STYLESHEETS = [
    Path(settings.BASE_DIR) / "static" / "css" / "app.css",
    Path(settings.BASE_DIR) / "static" / "css" / "board-pack.css",
]


@dataclass(frozen=True)
class Section:
    """One table of the pack: the same rows go to the PDF and to a sheet of the workbook."""

    key: str
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)
    empty: str = "None."


@dataclass
class BoardPack:
    contract: Contract
    meeting: object
    previous_meeting: object | None
    generated_at: dt.datetime
    grid: ContractGrid
    sections: list[Section]

    @property
    def period_text(self) -> str:
        since = (
            f"the board meeting of {self.previous_meeting.held_on:%d %B %Y}"
            if self.previous_meeting
            else f"the start of the contract ({self.contract.start_date:%d %B %Y})"
        )
        return f"since {since}"

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)


def build_board_pack(contract: Contract, meeting, *, now: dt.datetime | None = None) -> BoardPack:
    from monitoring.models import Flag
    from workflows.models import Assessment, BoardDecision, BoardMeeting

    now = now or timezone.now()
    today = timezone.localdate(now)
    previous = (
        BoardMeeting.objects.filter(contract=contract, held_on__lt=meeting.held_on)
        .order_by("-held_on")
        .first()
    )
    grid = contract_grid(contract, today)
    tracks: dict[int, Track] = {
        row.track.pk: row.track for category in grid.categories for row in category.rows
    }
    labels = {level.rank: level.label for level in grid.levels}

    def level(rank) -> str:
        return labels.get(rank, str(rank))

    since = _end_of(previous.held_on) if previous else None
    until = (
        max(_end_of(meeting.held_on), now) if meeting.held_on >= today else _end_of(meeting.held_on)
    )
    changes = []
    for track_id, history in level_changes(contract).items():
        for change in history:
            if (since is None or change.at > since) and change.at <= until:
                changes.append((change.at, tracks[track_id], change))
    changes.sort(key=lambda item: item[0])

    targets = list(
        Target.objects.filter(track__contract=contract)
        .select_related("track__focus_area")
        .order_by("track__focus_area__order", "due_date")
    )

    def target_rows(statuses) -> list[list]:
        return [
            [
                t.track.focus_area.name,
                level(t.level_rank),
                t.due_date,
                "Yes" if t.requires_sustained else "No",
                level(tracks[t.track_id].level_rank) if t.track_id in tracks else "",
                t.get_status_display(),
            ]
            for t in targets
            if t.status in statuses
        ]

    target_header = ["Focus area", "Target level", "Due", "Sustained required", "Now", "Status"]
    awaiting = list(
        Assessment.objects.filter(track__contract=contract, state=Assessment.State.AGREED)
        .select_related("track__focus_area", "cycle", "submitted_by", "agreed_by")
        .order_by("agreed_at", "pk")
    )
    flags = list(
        Flag.objects.filter(contract=contract, resolved_at__isnull=True)
        .select_related("track__focus_area")
        .order_by("raised_at")
    )
    decisions = list(
        BoardDecision.objects.filter(contract=contract)
        .select_related("meeting", "recorded_by", "superseded_by")
        .order_by("recorded_at", "pk")
    )

    sections = [
        Section(
            key="matrix",
            title="Maturity matrix",
            header=["Category", "Focus area", "Current level", "Target", "Target status", "Trend"],
            rows=[
                [
                    category.name,
                    row.track.focus_area.name,
                    level(row.track.level_rank),
                    (
                        f"{level(row.track.target_rank)} by {row.track.target_due:%d %b %Y}"
                        if row.track.target_rank is not None
                        else "No target"
                    ),
                    (
                        Target.Status(row.track.target_status).label
                        if row.track.target_status
                        else "No target"
                    ),
                    {
                        "up": f"Up from {level(row.previous_rank)}",
                        "down": f"Down from {level(row.previous_rank)}",
                    }.get(row.trend, "No change"),
                ]
                for category in grid.categories
                for row in category.rows
            ],
        ),
        Section(
            key="changes",
            title="Changes since the last meeting",
            header=["Date", "Focus area", "From", "To"],
            rows=[
                [at.date(), track.focus_area.name, level(c.from_rank), level(c.to_rank)]
                for at, track, c in changes
            ],
            empty="No level changed in this period.",
        ),
        Section(
            key="targets_met",
            title="Targets met",
            header=target_header,
            rows=target_rows({Target.Status.MET, Target.Status.MET_SUSTAINED}),
        ),
        Section(
            key="targets_missed",
            title="Targets missed or overdue",
            header=target_header,
            rows=target_rows({Target.Status.MISSED, Target.Status.OVERDUE}),
        ),
        Section(
            key="targets_at_risk",
            title="Targets at risk",
            header=target_header,
            rows=target_rows({Target.Status.AT_RISK}),
        ),
        Section(
            key="sustained",
            title="Sustained levels",
            header=["Focus area", "Level", "Sustained since"],
            rows=[
                [t.focus_area.name, level(t.level_rank), t.sustained_since or ""]
                for t in tracks.values()
                if t.sustained
            ],
            empty="No level is sustained yet.",
        ),
        Section(
            key="awaiting",
            title="Assessments awaiting confirmation",
            header=["Focus area", "Claimed level", "Cycle", "Submitted by", "Agreed by", "Agreed"],
            rows=[
                [
                    a.track.focus_area.name,
                    level(a.claimed_rank),
                    a.cycle.name,
                    a.submitted_by.get_username() if a.submitted_by else "",
                    a.agreed_by.get_username() if a.agreed_by else "",
                    a.agreed_at.date() if a.agreed_at else "",
                ]
                for a in awaiting
            ],
            empty="Nothing awaits the board's confirmation.",
        ),
        Section(
            key="flags",
            title="Open flags",
            header=["Raised", "Flag", "Focus area", "Detail"],
            rows=[
                [
                    f.raised_at.date(),
                    f.get_kind_display(),
                    f.track.focus_area.name if f.track else "",
                    f.detail,
                ]
                for f in flags
            ],
            empty="No open flags.",
        ),
        Section(
            key="decisions",
            title="Decision ledger",
            header=["Recorded", "Meeting", "Decision", "Clause", "Rationale", "Superseded"],
            rows=[
                [
                    d.recorded_at.date(),
                    d.meeting.held_on if d.meeting else "",
                    d.get_kind_display(),
                    d.clause,
                    d.rationale,
                    "Yes" if getattr(d, "superseded_by", None) else "No",
                ]
                for d in decisions
            ],
            empty="No decisions recorded yet.",
        ),
    ]
    return BoardPack(
        contract=contract,
        meeting=meeting,
        previous_meeting=previous,
        generated_at=now,
        grid=grid,
        sections=sections,
    )


def _text(value) -> str:
    if isinstance(value, dt.datetime):
        return f"{value:%d %b %Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d %b %Y}"
    return "" if value is None else str(value)


def render_pdf(pack: BoardPack) -> bytes:
    from weasyprint import CSS, HTML

    html = render_to_string(
        "reports/board_pack.html",
        {
            "pack": pack,
            "sections": [(s, [[_text(v) for v in row] for row in s.rows]) for s in pack.sections],
        },
    )
    stylesheets = [CSS(filename=str(path)) for path in STYLESHEETS]
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(stylesheets=stylesheets)


def render_xlsx(pack: BoardPack) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    cover = workbook.active
    cover.title = "Cover"
    for row in [
        ["Board pack", pack.contract.reference],
        ["Contract", pack.contract.title],
        ["Meeting", pack.meeting.held_on],
        ["Changes", pack.period_text],
        ["Generated", pack.generated_at.replace(tzinfo=None)],
    ]:
        _append(cover, row)
    cover["A1"].font = Font(bold=True)
    for section in pack.sections:
        sheet = workbook.create_sheet(section.title[:31])
        _append(sheet, section.header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            _append(sheet, row)
        for column, width in zip("ABCDEFGH", [18, 32, 16, 16, 40, 14, 14, 14], strict=False):
            sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _append(sheet, values) -> None:
    """Appends a row; strings stay text even when they start with '=' (no formula injection),
    and characters a spreadsheet cannot hold are dropped rather than failing the export."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    sheet.append([None] * len(values))
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, str):
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell.data_type = "s"
        else:
            cell.value = value
