"""A framework as plain data: what the importer reads, what the exporter writes, what is saved.

The same structure comes out of a spreadsheet (`matrix.importer`) and out of the database
(`matrix.selectors.framework_spec`), so "is this the same framework?" is one comparison, and its
fingerprint recognises a re-import whatever format the file came in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

CATEGORY, FOCUS, LEVEL, EVIDENCE = "category", "focus", "level", "evidence"


@dataclass(frozen=True)
class Column:
    """One column of the source table: its role, its header text and, for a level, its rank."""

    role: str
    header: str = ""
    rank: int | None = None


@dataclass(frozen=True)
class Layout:
    """Where things stood in the source, so an export puts them back the same way."""

    columns: tuple[Column, ...]
    #: Focus areas per header block (the System Maturity Model repeats its header three times).
    blocks: tuple[int, ...] = ()
    #: The line that introduced the notes after the table, e.g. "**Notes**".
    notes_heading: str = ""

    def to_json(self) -> dict:
        return {
            "columns": [asdict(c) for c in self.columns],
            "blocks": list(self.blocks),
            "notes_heading": self.notes_heading,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> Layout | None:
        if not data or not data.get("columns"):
            return None
        return cls(
            columns=tuple(Column(**c) for c in data["columns"]),
            blocks=tuple(data.get("blocks") or ()),
            notes_heading=data.get("notes_heading") or "",
        )


@dataclass(frozen=True)
class LevelSpec:
    rank: int
    code: str
    label: str


@dataclass(frozen=True)
class DescriptorSpec:
    text: str = ""
    criteria: tuple[str, ...] = ()

    @property
    def is_blank(self) -> bool:
        return not self.text and not self.criteria


@dataclass(frozen=True)
class EvidenceSpec:
    name: str
    recency_months: int = 12
    applies_from_rank: int | None = None


@dataclass(frozen=True)
class FocusAreaSpec:
    name: str
    category: str
    #: One per level, in the order of `FrameworkSpec.levels` (lowest rank first).
    descriptors: tuple[DescriptorSpec, ...]
    evidence: tuple[EvidenceSpec, ...] = ()


@dataclass(frozen=True)
class FrameworkSpec:
    title: str
    preamble: str
    notes: str
    levels: tuple[LevelSpec, ...]
    categories: tuple[str, ...]
    focus_areas: tuple[FocusAreaSpec, ...]
    layout: Layout = field(default_factory=lambda: Layout(columns=()))

    def fingerprint(self) -> str:
        """SHA-256 of the content, independent of the file format it was read from."""
        data = asdict(self)
        encoded = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(encoded.encode("utf-8")).hexdigest()

    @property
    def descriptor_count(self) -> int:
        return sum(len(area.descriptors) for area in self.focus_areas)

    @property
    def blank_descriptor_count(self) -> int:
        return sum(d.is_blank for area in self.focus_areas for d in area.descriptors)

    @property
    def checklist_count(self) -> int:
        return sum(bool(d.criteria) for area in self.focus_areas for d in area.descriptors)

    @property
    def evidence_type_count(self) -> int:
        return sum(len(area.evidence) for area in self.focus_areas)

    def summary(self) -> str:
        """Counts a person can check against the spreadsheet."""
        levels = ", ".join(level.label or level.code for level in self.levels)
        return (
            f"{len(self.levels)} levels ({levels}), {len(self.categories)} "
            f"{'category' if len(self.categories) == 1 else 'categories'}, "
            f"{len(self.focus_areas)} focus areas, {self.descriptor_count} level descriptors "
            f"({self.blank_descriptor_count} blank, {self.checklist_count} checklists), "
            f"{self.evidence_type_count} evidence types"
        )


def default_layout(spec_levels: tuple[LevelSpec, ...], *, with_category: bool) -> Layout:
    """The SPMM's layout, for a framework that was not imported (built in the admin)."""
    columns = [Column(CATEGORY, "Category")] if with_category else []
    columns.append(Column(FOCUS, "Focus"))
    columns += [Column(LEVEL, level.label, level.rank) for level in spec_levels]
    columns.append(Column(EVIDENCE, "Evidence base"))
    return Layout(columns=tuple(columns))
