"""Factories for the core objects every test needs.

App-specific factories live beside their tests.
"""

import datetime as dt
import hashlib
import uuid

import factory
from django.contrib.auth import get_user_model

from contracts.models import (
    Contract,
    Membership,
    Organisation,
    ReviewCycle,
    Target,
    TargetRevision,
    Track,
)
from contracts.roles import Role
from evidence.models import EvidenceItem
from matrix.models import Category, EvidenceType, FocusArea, Framework, Level, LevelDescriptor

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.AUTHORITY


class AuthorityFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"County Council {n}")
    kind = Organisation.Kind.AUTHORITY


class ProviderFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Highways Provider {n}")
    kind = Organisation.Kind.PROVIDER


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(AuthorityFactory)
    role = Role.CLIENT_OFFICER


def build_framework(
    *,
    name: str | None = None,
    levels: int = 6,
    focus_areas: int = 3,
    evidence_types: int = 2,
    published: bool = True,
    checklist_rank: int | None = 2,
) -> Framework:
    """A small framework shaped like the SPMM: levels 0..N-1, one category, a few focus areas."""
    framework = Framework.objects.create(
        name=name or f"Test framework {Framework.objects.count() + 1}", version=1
    )
    level_objs = [
        Level.objects.create(framework=framework, rank=r, code=str(r), label=f"Level {r}")
        for r in range(levels)
    ]
    category = Category.objects.create(framework=framework, order=1, name="1. Policy Impact")
    for i in range(focus_areas):
        area = FocusArea.objects.create(
            framework=framework, category=category, order=i + 1, name=f"Focus area {i + 1}"
        )
        for level in level_objs:
            if checklist_rank is not None and level.rank == checklist_rank:
                LevelDescriptor.objects.create(
                    focus_area=area,
                    level=level,
                    criteria=["Level 1 completed", "Authority confidence in progress"],
                )
            else:
                LevelDescriptor.objects.create(
                    focus_area=area, level=level, text=f"Area {i + 1} at level {level.rank}."
                )
        for j in range(evidence_types):
            EvidenceType.objects.create(focus_area=area, order=j + 1, name=f"Evidence {j + 1}")
    if published:
        framework.publish()
        framework.save()
    return framework


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"HWY-{n:04d}")
    title = factory.Sequence(lambda n: f"Highways maintenance contract {n}")
    provider = factory.SubFactory(ProviderFactory)
    framework = factory.LazyFunction(build_framework)
    start_date = dt.date(2023, 4, 1)
    end_date = dt.date(2030, 3, 31)
    default_target_rank = 3
    default_target_date = dt.date(2027, 3, 31)

    @factory.post_generation
    def authorities(obj, create, extracted, **kwargs):
        if not create:
            return
        obj.authorities.set(extracted if extracted is not None else [AuthorityFactory()])


class ReviewCycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewCycle

    contract = factory.SubFactory(ContractFactory)
    name = factory.Sequence(lambda n: f"Cycle {n}")
    opens_on = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=30))
    evidence_deadline = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=30))
    closes_on = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=60))


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Track

    contract = factory.SubFactory(ContractFactory)
    focus_area = factory.LazyAttribute(lambda o: o.contract.framework.focus_areas.first())


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target
        skip_postgeneration_save = True

    track = factory.SubFactory(TrackFactory)
    level_rank = 3
    due_date = dt.date(2027, 3, 31)

    @factory.post_generation
    def first_revision(obj, create, extracted, **kwargs):
        if create:
            TargetRevision.objects.create(
                target=obj,
                level_rank=obj.level_rank,
                due_date=obj.due_date,
                requires_sustained=obj.requires_sustained,
                reason="Initial target",
            )


class EvidenceItemFactory(factory.django.DjangoModelFactory):
    """An evidence row as the upload service leaves it (unique SHA-256), with no stored file:
    for tests of what evidence means, not of storing it (tests/evidence does that)."""

    class Meta:
        model = EvidenceItem

    track = None
    evidence_type = factory.LazyAttribute(lambda o: o.track.focus_area.evidence_types.first())
    period_start = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=60))
    period_end = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=10))
    description = "Quarterly report"
    storage_key = factory.LazyFunction(lambda: f"test/{uuid.uuid4().hex}")
    original_filename = factory.Sequence(lambda n: f"report-{n}.pdf")
    size_bytes = 1024
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.storage_key.encode()).hexdigest())
    content_type = "application/pdf"
    uploaded_by = factory.SubFactory(UserFactory)


def make_live_contract(**kwargs) -> Contract:
    """A contract that has gone live the way the product does it: tracks and default targets."""
    from contracts.services import go_live

    contract = ContractFactory(**kwargs)
    lead = UserFactory()
    Membership.objects.create(
        user=lead, organisation=contract.authorities.first(), role=Role.CLIENT_LEAD
    )
    go_live(contract=contract, actor=lead)
    contract.refresh_from_db()
    return contract


class Party:
    """One side of the access tests: a live contract and one user for every role on it."""

    def __init__(self, label: str):
        self.authority = AuthorityFactory(name=f"{label} Council")
        self.provider = ProviderFactory(name=f"{label} Highways Ltd")
        self.users: dict[str, object] = {}
        for role, org in (
            (Role.CLIENT_OFFICER, self.authority),
            (Role.CLIENT_LEAD, self.authority),
            (Role.PROVIDER_CONTRIBUTOR, self.provider),
            (Role.PROVIDER_LEAD, self.provider),
        ):
            user = UserFactory(username=f"{label.lower()}_{role}")
            Membership.objects.create(user=user, organisation=org, role=role)
            self.users[role] = user
        self.contract = ContractFactory(
            reference=f"{label.upper()}-001", provider=self.provider, authorities=[self.authority]
        )
        from contracts.services import go_live

        go_live(contract=self.contract, actor=self.users[Role.CLIENT_LEAD])
        self.contract.refresh_from_db()
        for role, field in ((Role.BOARD_MEMBER, "board_members"), (Role.AUDITOR, "auditors")):
            user = UserFactory(username=f"{label.lower()}_{role}")
            getattr(self.contract, field).add(user)
            self.users[role] = user
        self.cycle = ReviewCycleFactory(contract=self.contract, name=f"{label} Q1")
        self.track = self.contract.tracks.order_by("focus_area__order").first()
