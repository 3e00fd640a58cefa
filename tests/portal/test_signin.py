"""Signing in: one-time links, the same answer for any address, limits, CSRF, idle sessions."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import SignInLink
from shoppers.models import Shopper
from tests.portal.conftest import link_from_outbox, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_known_and_unknown_addresses_get_the_same_answer_and_only_the_known_one_a_link(client):
    Shopper.objects.create(email="Ana@Example.com", name="Ana")
    known = client.post(reverse("portal:start"), {"email": "ana@example.com"}, follow=True)
    unknown = client.post(reverse("portal:start"), {"email": "nobody@example.com"}, follow=True)
    assert known.status_code == unknown.status_code == 200

    def strip(response) -> str:
        page = response.content.decode()
        return page.replace("ana@example.com", "X").replace("nobody@example.com", "X")

    assert strip(known) == strip(unknown)
    assert [m.to for m in mail.outbox] == [["ana@example.com"]]
    assert "15 minutes" in mail.outbox[0].body
    assert SignInLink.objects.count() == 1
    # only a hash of the token is stored
    token = link_from_outbox("ana@example.com").rstrip("/").rsplit("/", 1)[1]
    assert token not in SignInLink.objects.get().token_hash


def test_a_link_signs_in_once_and_a_mail_scanner_opening_it_does_not_use_it(client):
    Shopper.objects.create(email="ana@example.com")
    client.post(reverse("portal:start"), {"email": "ana@example.com"})
    path = _path(link_from_outbox("ana@example.com"))
    assert Client().get(path).status_code == 200  # a scanner's GET: shows the button only
    assert client.post(path).status_code == 302
    assert client.get(reverse("portal:receipts")).status_code == 200
    reused = Client().post(path)
    assert reused.status_code == 410
    assert "expired or was already used" in reused.content.decode()


def test_an_expired_link_is_refused(client):
    Shopper.objects.create(email="ana@example.com")
    client.post(reverse("portal:start"), {"email": "ana@example.com"})
    path = _path(link_from_outbox("ana@example.com"))
    SignInLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(path).status_code == 410
    assert client.post(path).status_code == 410
    assert client.get(reverse("portal:receipts")).status_code == 302  # not signed in


def test_a_made_up_token_is_refused(client):
    assert client.post("/portal/signin/not-a-real-token/").status_code == 410


def test_asking_for_links_is_rate_limited_per_address_known_or_not(client, settings):
    settings.PORTAL_SIGNIN_RATE_PER_EMAIL = "3/15minutes"
    Shopper.objects.create(email="ana@example.com")
    for email in ("ana@example.com", "nobody@example.com"):
        for _ in range(3):
            assert client.post(reverse("portal:start"), {"email": email}).status_code == 302
        limited = client.post(reverse("portal:start"), {"email": email})
        assert limited.status_code == 400
        assert "Too many sign-in links" in limited.content.decode()
    assert len(mail.outbox) == 3


def test_a_bad_address_says_which_field_and_why(client):
    response = client.post(reverse("portal:start"), {"email": "not-an-address"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_posts_without_the_csrf_token_are_refused():
    Shopper.objects.create(email="ana@example.com")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("portal:start"), {"email": "ana@example.com"}).status_code == 403
    assert not mail.outbox


def test_an_idle_session_ends_and_signing_out_ends_it_too(client, settings):
    Shopper.objects.create(email="ana@example.com")
    sign_in(client, "ana@example.com")
    assert client.get(reverse("portal:receipts")).status_code == 200
    session = client.session
    session["portal"]["seen"] -= settings.PORTAL_SESSION_IDLE_MINUTES * 60 + 1
    session.save()
    ended = client.get(reverse("portal:receipts"), follow=True)
    assert ended.redirect_chain[-1][0] == reverse("portal:start")
    assert "Your session ended" in ended.content.decode()
    sign_in(client, "ana@example.com")
    client.post(reverse("portal:signout"))
    assert client.get(reverse("portal:receipts")).status_code == 302
