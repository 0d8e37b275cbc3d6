"""REST API for assessments: list and detail through the access rule, and the transitions.

Every object comes through `contracts.access` (outsiders get 404); the transitions call the same
services as the pages and answer 409 when someone else changed the assessment first. Send the
`edit_version` you last read to be told about a concurrent change rather than act on it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response

from config.http import CHANGED_BY_SOMEONE_ELSE

from . import services
from .models import Assessment, StaleEdit
from .selectors import claims_for


class AssessmentSerializer(serializers.ModelSerializer):
    contract = serializers.CharField(source="track.contract.reference", read_only=True)
    focus_area = serializers.CharField(source="track.focus_area.name", read_only=True)
    cycle_name = serializers.CharField(source="cycle.name", read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "kind",
            "contract",
            "track",
            "focus_area",
            "cycle",
            "cycle_name",
            "from_rank",
            "claimed_rank",
            "state",
            "edit_version",
            "summary",
            "submitted_at",
            "agreed_at",
            "confirmed_at",
            "last_comment",
        ]
        read_only_fields = fields


class TransitionSerializer(serializers.Serializer):
    edit_version = serializers.IntegerField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    attest = serializers.BooleanField(required=False, default=False)
    judgements = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True)),
        required=False,
        default=list,
    )


def _transition_action(name: str):
    def handler(self, request, pk=None):
        assessment = self.get_object()
        if request.method != "POST":
            raise MethodNotAllowed(request.method)
        data = TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        kwargs = {
            "assessment": assessment,
            "actor": request.user,
            "expected_version": values.get("edit_version"),
        }
        if name in ("reject", "refer_back"):
            kwargs["reason"] = values["comment"]
        else:
            kwargs["comment"] = values["comment"]
        if name == "submit":
            kwargs["attest"] = values["attest"]
        if name == "agree":
            kwargs["judgements"] = values["judgements"]
        try:
            result = getattr(services, name)(**kwargs)
        except StaleEdit:
            return Response({"detail": CHANGED_BY_SOMEONE_ELSE}, status=status.HTTP_409_CONFLICT)
        except ValidationError as exc:
            return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        return Response(AssessmentSerializer(result).data)

    handler.__name__ = name
    handler.__doc__ = f"Takes the {name.replace('_', ' ')} transition (POST)."
    # GET is routed too, so that an outsider gets 404 before anyone is told the method.
    return action(detail=True, methods=["get", "post"], url_path=name.replace("_", "-"))(handler)


class AssessmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AssessmentSerializer

    def get_queryset(self):
        """Only the assessments on the person's contracts (the access rule): others are 404."""
        return claims_for(self.request.user)

    def http_method_not_allowed(self, request, *args, **kwargs):
        """An object outside the person's contracts is 404 whatever the method."""
        if "pk" in kwargs:
            self.get_object()
        return super().http_method_not_allowed(request, *args, **kwargs)

    submit = _transition_action("submit")
    start_review = _transition_action("start_review")
    return_for_evidence = _transition_action("return_for_evidence")
    agree = _transition_action("agree")
    reject = _transition_action("reject")
    confirm = _transition_action("confirm")
    refer_back = _transition_action("refer_back")
    withdraw = _transition_action("withdraw")


ROUTES = [("assessments", AssessmentViewSet, "assessment")]
