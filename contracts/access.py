"""The one access rule: which contracts a person may see, and what their roles let them do.

Every view, form, admin list, export and API endpoint goes through these functions. Anything
outside a person's contracts answers 404 (`Http404`), never 403, so nothing hints it exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from .models import Contract, Membership, Track
from .roles import PERMISSIONS, Role


def visible_contracts(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Contract]:
    """Contracts the user's organisation is party to, or that they sit on the board of or audit."""
    if not user.is_authenticated or not user.is_active:
        return Contract.objects.none()
    if user.is_superuser:
        return Contract.objects.all()
    member_of = Membership.objects.filter(user=user).values("organisation_id")
    as_authority = Contract.authorities.through.objects.filter(
        contract_id=OuterRef("pk"), organisation_id__in=member_of
    )
    on_board = Contract.board_members.through.objects.filter(contract_id=OuterRef("pk"), user=user)
    auditing = Contract.auditors.through.objects.filter(contract_id=OuterRef("pk"), user=user)
    return Contract.objects.filter(
        Q(provider_id__in=member_of) | Exists(as_authority) | Exists(on_board) | Exists(auditing)
    )


def roles_on(user: AbstractBaseUser | AnonymousUser, contract: Contract) -> frozenset[str]:
    """The roles a person holds on one contract (a person may hold several)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    roles: set[str] = set()
    for organisation_id, role in Membership.objects.filter(user=user).values_list(
        "organisation_id", "role"
    ):
        if (
            organisation_id == contract.provider_id
            and role
            in (
                Role.PROVIDER_CONTRIBUTOR,
                Role.PROVIDER_LEAD,
            )
            or role in (Role.CLIENT_OFFICER, Role.CLIENT_LEAD)
            and (contract.authorities.filter(pk=organisation_id).exists())
        ):
            roles.add(role)
    if contract.board_members.filter(pk=user.pk).exists():
        roles.add(Role.BOARD_MEMBER)
    if contract.auditors.filter(pk=user.pk).exists():
        roles.add(Role.AUDITOR)
    return frozenset(roles)


@dataclass(frozen=True)
class ContractAccess:
    """A person's standing on one contract: what they hold and what that lets them do."""

    contract: Contract
    roles: frozenset[str]

    def can(self, action: str) -> bool:
        return bool(self.roles & PERMISSIONS[action])

    def require(self, action: str) -> None:
        """Refuses an action the person's roles don't allow (they can see the contract)."""
        from django.core.exceptions import PermissionDenied

        if not self.can(action):
            raise PermissionDenied(f"Your role on {self.contract.reference} does not allow this.")

    @property
    def is_client(self) -> bool:
        return bool(self.roles & {Role.CLIENT_OFFICER, Role.CLIENT_LEAD})

    @property
    def is_provider(self) -> bool:
        return bool(self.roles & {Role.PROVIDER_CONTRIBUTOR, Role.PROVIDER_LEAD})


def contract_access(user, contract: Contract) -> ContractAccess:
    return ContractAccess(contract=contract, roles=roles_on(user, contract))


def get_contract_for(user, pk, *, select_for_update: bool = False) -> ContractAccess:
    """The contract with its access, or 404 when the user may not see it."""
    qs = visible_contracts(user).select_related("framework", "provider")
    if select_for_update:
        qs = qs.select_for_update(of=("self",))
    contract = qs.filter(pk=pk).first()
    if contract is None:
        raise Http404("No such contract.")
    access = contract_access(user, contract)
    if not access.roles and not user.is_superuser:
        raise Http404("No such contract.")
    return access


def visible_tracks(user) -> QuerySet[Track]:
    return Track.objects.filter(contract__in=visible_contracts(user))


def get_track_for(user, pk) -> tuple[Track, ContractAccess]:
    track = (
        visible_tracks(user)
        .select_related("contract__framework", "contract__provider", "focus_area__category")
        .filter(pk=pk)
        .first()
    )
    if track is None:
        raise Http404("No such track.")
    return track, contract_access(user, track.contract)


def scoped(user, queryset: QuerySet, contract_path: str) -> QuerySet:
    """Limits any queryset to rows whose contract (reached by `contract_path`) the user sees."""
    return queryset.filter(**{f"{contract_path}__in": visible_contracts(user)})


def get_scoped_or_404(user, queryset: QuerySet, contract_path: str, **lookup):
    obj = scoped(user, queryset, contract_path).filter(**lookup).first()
    if obj is None:
        raise Http404("Not found.")
    return obj
