"""Queries over frameworks that pages, exports, the admin and other apps share.

Each reads a whole framework in a fixed number of queries, whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from contracts.access import visible_contracts
from contracts.models import Contract

from .models import Category, EvidenceType, FocusArea, Framework, Level, LevelDescriptor
from .spec import (
    CATEGORY,
    LEVEL,
    Column,
    DescriptorSpec,
    EvidenceSpec,
    FocusAreaSpec,
    FrameworkSpec,
    Layout,
    LevelSpec,
    default_layout,
)

PUBLIC_STATUSES = (Framework.Status.PUBLISHED, Framework.Status.RETIRED)


def visible_frameworks(user) -> QuerySet[Framework]:
    """Published and retired versions for anyone signed in; a draft only for staff and for the
    people who can see a contract that uses it (a tailored version being mobilised)."""
    if not user.is_authenticated or not user.is_active:
        return Framework.objects.none()
    if user.is_staff or user.is_superuser:
        return Framework.objects.all()
    used_by_visible_contract = Contract.objects.filter(
        framework=OuterRef("pk"), pk__in=visible_contracts(user).values("pk")
    )
    return Framework.objects.filter(
        Q(status__in=PUBLIC_STATUSES) | Exists(used_by_visible_contract)
    )


def _count_of(model, path: str = "framework") -> Coalesce:
    counts = (
        model.objects.filter(**{path: OuterRef("pk")})
        .order_by()
        .values(path)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def with_counts(frameworks: QuerySet[Framework]) -> QuerySet[Framework]:
    """Adds level_count, category_count, focus_area_count and evidence_type_count (one query)."""
    return frameworks.annotate(
        level_count=_count_of(Level),
        category_count=_count_of(Category),
        focus_area_count=_count_of(FocusArea),
        evidence_type_count=_count_of(EvidenceType, "focus_area__framework"),
    )


def framework_list(user) -> QuerySet[Framework]:
    return with_counts(visible_frameworks(user)).order_by("name", "-version")


def find_framework(reference: str, *, version: int | None = None) -> Framework:
    """A framework by id, or by name (its highest version unless `version` is given). With an id
    the version is the id's own; callers compare it with `version` to refuse a mismatch.

    Raises `Framework.DoesNotExist` with a message that says what was looked for.
    """
    reference = reference.strip()
    if reference.isdigit():
        found = Framework.objects.filter(pk=int(reference)).first()
        if found is not None:
            return found
    versions = Framework.objects.filter(name=reference)
    if version is not None:
        versions = versions.filter(version=version)
    found = versions.order_by("-version").first()
    if found is None:
        known = ", ".join(
            f'"{name}"' for name in Framework.objects.values_list("name", flat=True).distinct()
        )
        what = f'version {version} of "{reference}"' if version else f'"{reference}"'
        raise Framework.DoesNotExist(
            f"There is no framework {what}. Known frameworks: {known or 'none yet'}."
        )
    return found


@dataclass(frozen=True)
class _Parts:
    levels: list[Level]
    focus_areas: list[FocusArea]
    descriptors: dict[tuple[int, int], LevelDescriptor]
    evidence: dict[int, list[EvidenceType]]


def _parts(framework: Framework) -> _Parts:
    levels = list(Level.objects.filter(framework=framework).order_by("rank"))
    focus_areas = list(
        FocusArea.objects.filter(framework=framework).select_related("category").order_by("order")
    )
    descriptors = {
        (d.focus_area_id, d.level_id): d
        for d in LevelDescriptor.objects.filter(focus_area__framework=framework)
    }
    evidence: dict[int, list[EvidenceType]] = {}
    for item in (
        EvidenceType.objects.filter(focus_area__framework=framework)
        .select_related("applies_from")
        .order_by("focus_area_id", "order")
    ):
        evidence.setdefault(item.focus_area_id, []).append(item)
    return _Parts(levels, focus_areas, descriptors, evidence)


def reconcile_layout(
    layout: Layout | None, levels: tuple[LevelSpec, ...], focus_areas: int, categories
) -> Layout:
    """The stored layout, brought in line with the framework's current parts (a draft may have
    gained or lost levels or focus areas since it was imported)."""
    named_categories = any(categories)
    if layout is None:
        return default_layout(levels, with_category=named_categories)
    ranks = [level.rank for level in levels]
    columns: list[Column] = []
    placed: set[int] = set()
    for column in layout.columns:
        if column.role != LEVEL:
            columns.append(column)
        elif column.rank in ranks and column.rank not in placed:
            columns.append(Column(LEVEL, "", column.rank))
            placed.add(column.rank)
    missing = [Column(LEVEL, "", rank) for rank in ranks if rank not in placed]
    if missing:
        level_positions = [i for i, c in enumerate(columns) if c.role == LEVEL]
        at = level_positions[-1] + 1 if level_positions else len(columns)
        columns[at:at] = missing
    if named_categories and not any(c.role == CATEGORY for c in columns):
        columns.insert(0, Column(CATEGORY, "Category"))
    blocks = tuple(layout.blocks)
    if sum(blocks) != focus_areas or not all(blocks):
        blocks = (focus_areas,) if focus_areas else ()
    return Layout(columns=tuple(columns), blocks=blocks, notes_heading=layout.notes_heading)


def framework_spec(framework: Framework) -> FrameworkSpec:
    """The framework as plain data (what the exporter writes): five queries."""
    parts = _parts(framework)
    rank_of = {level.pk: level.rank for level in parts.levels}
    levels = tuple(LevelSpec(rank=lv.rank, code=lv.code, label=lv.label) for lv in parts.levels)
    areas = []
    categories: list[str] = []
    for area in parts.focus_areas:
        descriptors = []
        for level in parts.levels:
            found = parts.descriptors.get((area.pk, level.pk))
            descriptors.append(
                DescriptorSpec(text=found.text.strip(), criteria=tuple(found.criteria or ()))
                if found
                else DescriptorSpec()
            )
        evidence = tuple(
            EvidenceSpec(
                name=item.name,
                recency_months=item.recency_months,
                applies_from_rank=rank_of.get(item.applies_from_id),
            )
            for item in parts.evidence.get(area.pk, [])
        )
        category = area.category.name
        if category not in categories:
            categories.append(category)
        areas.append(
            FocusAreaSpec(
                name=area.name,
                category=category,
                descriptors=tuple(descriptors),
                evidence=evidence,
            )
        )
    return FrameworkSpec(
        title=framework.title,
        preamble=framework.preamble,
        notes=framework.notes,
        levels=levels,
        categories=tuple(categories),
        focus_areas=tuple(areas),
        layout=reconcile_layout(Layout.from_json(framework.layout), levels, len(areas), categories),
    )


@dataclass(frozen=True)
class GridRow:
    focus_area: FocusArea
    cells: list[LevelDescriptor | None]  # one per level, lowest rank first
    evidence: list[EvidenceType]


@dataclass(frozen=True)
class GridCategory:
    category: Category
    rows: list[GridRow]


@dataclass(frozen=True)
class FrameworkGrid:
    """The matrix as the framework page draws it: categories and focus areas down, levels
    across in scale order, the evidence base last."""

    levels: list[Level]
    categories: list[GridCategory]

    @property
    def has_categories(self) -> bool:
        return any(group.category.name for group in self.categories)

    @property
    def focus_area_count(self) -> int:
        return sum(len(group.rows) for group in self.categories)


def framework_grid(framework: Framework) -> FrameworkGrid:
    parts = _parts(framework)
    groups: list[GridCategory] = []
    for area in parts.focus_areas:
        if not groups or groups[-1].category.pk != area.category_id:
            groups.append(GridCategory(category=area.category, rows=[]))
        groups[-1].rows.append(
            GridRow(
                focus_area=area,
                cells=[parts.descriptors.get((area.pk, level.pk)) for level in parts.levels],
                evidence=parts.evidence.get(area.pk, []),
            )
        )
    return FrameworkGrid(levels=parts.levels, categories=groups)
