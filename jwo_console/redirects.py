"""Where a form's ``next`` may send the browser back to: only this host (Django's
``url_has_allowed_host_and_scheme``), so ``next=https://evil.example/`` cannot turn a console
form into an open redirect."""

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str = "") -> str:
    """The request's ``next`` (POST, then GET) when it stays on this host, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def redirect_next(request: HttpRequest, default: str, *args, **kwargs) -> HttpResponseRedirect:
    """Back to a safe ``next``, or to ``default`` (a URL name with its arguments)."""
    target = safe_next(request)
    return redirect(target) if target else redirect(default, *args, **kwargs)
