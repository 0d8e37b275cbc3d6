"""What goes to the audit trail without each caller having to remember it.

- every django-fsm transition (contracts, tracks, assessments, frameworks), once, in the same
  transaction as the change; the actor and comment come from the transition's ``by`` and
  ``description`` arguments (django-fsm-log's convention, which also writes its StateLog row);
- sign-ins, sign-outs and failed sign-ins.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django_fsm.signals import post_transition

from .models import AuditEvent
from .services import record


@receiver(post_transition)
def _transition(sender, instance, name, source, target, **kwargs):
    if kwargs.get("exception") is not None:
        return
    method_kwargs = kwargs.get("method_kwargs") or {}
    record(
        actor=method_kwargs.get("by"),
        action=AuditEvent.Action.TRANSITION,
        obj=instance,
        from_state=source,
        to_state=target,
        comment=f"{name}: {method_kwargs.get('description') or ''}".rstrip(": "),
    )


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(actor=user, action=AuditEvent.Action.LOGIN)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(actor=user, action=AuditEvent.Action.LOGOUT)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    record(
        actor=None,
        action=AuditEvent.Action.LOGIN_FAILED,
        actor_name=str(credentials.get("username", ""))[:150],
    )
