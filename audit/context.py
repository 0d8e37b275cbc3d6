"""The current request's identity, so that services deep below a view can stamp audit rows."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
client_ip_var: ContextVar[str] = ContextVar("client_ip", default="")


def current_request_id() -> str:
    return request_id_var.get()
