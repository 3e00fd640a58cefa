"""Sandbox → Outbox: every e-mail the console sends is kept there and still delivered."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from sandbox.models import SandboxEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox_backend(settings):
    settings.EMAIL_BACKEND = "sandbox.mail.OutboxBackend"
    settings.SANDBOX_EMAIL_DELEGATE_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_a_sign_in_link_is_kept_in_the_outbox_and_delivered(
    client, staff, outbox_backend, django_capture_on_commit_callbacks
):
    from portal import ratelimit
    from shoppers.models import Shopper

    ratelimit.reset()
    Shopper.objects.create(email="ana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:start"), {"email": "ana@example.com"})
    kept = SandboxEmail.objects.get()
    assert kept.to == "ana@example.com" and "sign-in" in kept.subject.lower()
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == kept.subject  # handed on
    link = next(link for link in kept.links if "/portal/signin/" in link)
    client.force_login(staff)
    page = client.get(reverse("sandbox:outbox")).content.decode()
    assert kept.subject in page and link in page and "Sign-in link" in page
    assert "Outbox" in page  # in the sandbox's navigation
    assert link in client.get(reverse("sandbox:outbox-message", args=[kept.pk])).content.decode()
    none = client.get(reverse("sandbox:outbox"), {"q": "nobody@example.com"}).content.decode()
    assert "No e-mail matches" in none


def test_the_outbox_is_for_console_users(client):
    assert client.get(reverse("sandbox:outbox")).status_code == 302  # to the login page


def test_make_run_prints_the_logins_and_urls_once_up(capsys):
    call_command("run_banner", "--once")
    out = capsys.readouterr().out
    for text in (
        "merchant / merchant-demo-pass",
        "staff / staff-demo-pass",
        "/portal/",
        "/admin/",
        "createsuperuser",
        "/sandbox/outbox/",
    ):
        assert text in out, text
