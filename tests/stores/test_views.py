from decimal import Decimal

import pytest
from django.urls import reverse

from stores.models import JwoStoreMapping, JwoStoreMappingChange
from tests.factories import JwoStoreMappingFactory, StoreFactory, WebRegisterFactory

pytestmark = pytest.mark.django_db
URL = reverse("stores:jwo-mappings")


def _post_rows(client, rows):
    data = {"new-TOTAL_FORMS": str(len(rows)), "new-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data.update({f"new-{i}-{k}": v for k, v in row.items()})
    return client.post(URL, data)


def _row(store, register, jwo_id, provider="YINZCAM", mode="ORDER"):
    return {
        "store": store.pk,
        "web_register": register.pk,
        "jwo_store_id": jwo_id,
        "loyalty_provider": provider,
        "delegation_mode": mode,
    }


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_user_without_a_role_is_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))
    assert client.get(URL).status_code == 403


def test_page_lists_mappings_and_offers_only_unmapped_stores(merchant_client):
    mapped = JwoStoreMappingFactory(jwo_store_id="mapped-one")
    free = StoreFactory(name="Free Store")
    response = merchant_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "mapped-one" in html
    store_field = response.context["formset"].empty_form.fields["store"]
    assert list(store_field.queryset) == [free]
    assert mapped.store not in store_field.queryset


def test_saving_two_rows_creates_both_in_one_go(merchant_client, merchant):
    s1, s2 = StoreFactory(), StoreFactory()
    r1, r2 = WebRegisterFactory(store=s1), WebRegisterFactory(store=s2)
    response = _post_rows(
        merchant_client, [_row(s1, r1, "jwo-1"), _row(s2, r2, "jwo-2", "VENUENEXT", "FULL")]
    )
    assert response.status_code == 302
    assert set(JwoStoreMapping.objects.values_list("jwo_store_id", flat=True)) == {"jwo-1", "jwo-2"}
    assert JwoStoreMappingChange.objects.filter(actor=merchant).count() == 2
    page = merchant_client.get(URL).content.decode()
    assert "Saved 2 mappings" in page


def test_incomplete_row_shows_the_error_on_the_field_and_saves_nothing(merchant_client):
    s1, s2 = StoreFactory(), StoreFactory()
    r1 = WebRegisterFactory(store=s1)
    rows = [
        _row(s1, r1, "jwo-ok"),
        {
            "store": s2.pk,
            "web_register": "",
            "jwo_store_id": "",
            "loyalty_provider": "",
            "delegation_mode": "ORDER",
        },
    ]
    response = _post_rows(merchant_client, rows)
    assert response.status_code == 400
    form = response.context["formset"][1]
    assert set(form.errors) == {"web_register", "jwo_store_id", "loyalty_provider"}
    assert "This field is required." in response.content.decode()
    assert JwoStoreMapping.objects.count() == 0


def test_register_of_another_store_is_refused_inline(merchant_client):
    s1 = StoreFactory()
    other = WebRegisterFactory()
    response = _post_rows(merchant_client, [_row(s1, other, "jwo-x")])
    assert response.status_code == 400
    assert response.context["formset"][0].errors["web_register"] == [
        "Choose a web register of the selected store."
    ]


def test_duplicate_store_across_new_rows_is_refused_inline(merchant_client):
    s1 = StoreFactory()
    r1 = WebRegisterFactory(store=s1)
    response = _post_rows(merchant_client, [_row(s1, r1, "jwo-a"), _row(s1, r1, "jwo-b")])
    assert response.status_code == 400
    assert response.context["formset"][1].errors["store"] == [
        "This store is already chosen in row 1."
    ]
    assert JwoStoreMapping.objects.count() == 0


def test_saving_with_no_rows_explains_what_to_do(merchant_client):
    response = _post_rows(merchant_client, [])
    assert response.status_code == 302
    assert "add a mapping row with + first" in merchant_client.get(URL).content.decode()


def test_staff_sees_the_mappings_read_only(staff_client):
    JwoStoreMappingFactory(jwo_store_id="visible-to-staff")
    StoreFactory()
    html = staff_client.get(URL).content.decode()
    assert "visible-to-staff" in html
    assert 'id="add-row"' not in html
    assert ">Edit<" not in html
    assert "Only a merchant admin can change them." in html


def test_staff_cannot_create_edit_or_remove(staff_client):
    mapping = JwoStoreMappingFactory()
    store = StoreFactory()
    register = WebRegisterFactory(store=store)
    assert _post_rows(staff_client, [_row(store, register, "sneaky")]).status_code == 403
    edit = reverse("stores:jwo-mapping-edit", args=[mapping.pk])
    assert staff_client.get(edit).status_code == 403
    assert staff_client.post(edit, {"jwo_store_id": "changed"}).status_code == 403
    remove = reverse("stores:jwo-mapping-delete", args=[mapping.pk])
    assert staff_client.post(remove).status_code == 403
    assert JwoStoreMapping.objects.get().jwo_store_id == mapping.jwo_store_id
    assert JwoStoreMappingChange.objects.count() == 0


# The F&A policy and trip policies as the edit page posts them by default.
POLICY = {
    "fa_invalid_card": "DENY",
    "fa_expired_card": "DENY",
    "fa_customer_fraud": "DENY",
    "fa_bad_debt": "DENY",
    "associate_trips": "NO_CHARGE",
    "cash_trips": "REGISTER",
}


def test_edit_saves_and_audits(merchant_client, merchant):
    mapping = JwoStoreMappingFactory(jwo_store_id="before-id")
    url = reverse("stores:jwo-mapping-edit", args=[mapping.pk])
    data = {
        "web_register": mapping.web_register.pk,
        "jwo_store_id": "after-id",
        "loyalty_provider": "VENUENEXT",
        "delegation_mode": "FULL",
        "payment_mode": "CHECKOUT_SERVICE",
        "fa_strategy": "RETAILER_MANAGED",
        "preauth_amount": "30.00",
        "refund_auto_approve_limit": "15.00",
        "entry_app": "on",
        "is_active": "on",
        **POLICY,
    }
    assert merchant_client.post(url, data).status_code == 302
    mapping.refresh_from_db()
    assert (mapping.jwo_store_id, mapping.payment_mode, mapping.entry_card) == (
        "after-id",
        "CHECKOUT_SERVICE",
        False,
    )
    assert mapping.preauth_amount == Decimal("30.00")
    change = JwoStoreMappingChange.objects.get()
    assert ("jwo_store_id", "before-id", "after-id") in change.changed_fields()
    assert ("preauth_amount", "25.00 USD", "30.00 USD") in change.changed_fields()
    assert ("refund_auto_approve_limit", "0.00 USD", "15.00 USD") in change.changed_fields()


def _edit_form(mapping, **changes) -> dict:
    """The edit page's form for ``mapping`` as posted, with no entry method unless given."""
    return {
        "web_register": mapping.web_register.pk,
        "jwo_store_id": mapping.jwo_store_id,
        "loyalty_provider": "YINZCAM",
        "delegation_mode": "ORDER",
        "payment_mode": "PAYMENT_SERVICE",
        "fa_strategy": "AMAZON_MANAGED",
        "preauth_amount": "25.00",
        "refund_auto_approve_limit": "0",
        **changes,
    }


def test_edit_refuses_no_entry_method_with_a_clear_error(merchant_client):
    mapping = JwoStoreMappingFactory()
    url = reverse("stores:jwo-mapping-edit", args=[mapping.pk])
    response = merchant_client.post(url, _edit_form(mapping))
    assert response.status_code == 400
    assert "Choose at least one entry method (app or card)." in response.content.decode()


def test_remove_asks_first_then_removes(merchant_client):
    mapping = JwoStoreMappingFactory(jwo_store_id="to-remove")
    url = reverse("stores:jwo-mapping-delete", args=[mapping.pk])
    confirm = merchant_client.get(url)
    assert confirm.status_code == 200
    assert "Remove the Just Walk Out mapping?" in confirm.content.decode()
    assert JwoStoreMapping.objects.exists()
    assert merchant_client.post(url).status_code == 302
    assert not JwoStoreMapping.objects.exists()


def test_audit_trail_shows_time_in_the_store_zone(merchant_client, merchant):
    store = StoreFactory(time_zone="America/Los_Angeles")
    register = WebRegisterFactory(store=store)
    _post_rows(merchant_client, [_row(store, register, "tz-check")])
    change = JwoStoreMappingChange.objects.get()
    html = merchant_client.get(URL).content.decode()
    local = change.created_at.astimezone(store.zone)
    assert local.strftime("%Y-%m-%d %H:%M:%S") in html
    assert local.tzname() in html  # PST or PDT


def test_history_page_paginates(merchant_client, merchant):
    from stores import services

    mapping = JwoStoreMappingFactory()
    for i in range(30):
        services.jwo_store_mapping_update(
            mapping=mapping, data={"jwo_store_id": f"id-{i}"}, actor=merchant
        )
    url = reverse("stores:jwo-mapping-history")
    first = merchant_client.get(url).content.decode()
    assert "Page 1 of 2" in first
    assert "id-29" in first and "id-3<" not in first
    assert "id-3" in merchant_client.get(url + "?page=2").content.decode()


def test_mapping_page_query_count_does_not_grow_with_rows(
    merchant_client, django_assert_max_num_queries
):
    for _ in range(15):
        JwoStoreMappingFactory()
    with django_assert_max_num_queries(20):
        assert merchant_client.get(URL).status_code == 200


def test_fa_policy_per_risk_is_edited_checked_and_audited(merchant_client):
    mapping = JwoStoreMappingFactory(fa_strategy="RETAILER_MANAGED")
    url = reverse("stores:jwo-mapping-edit", args=[mapping.pk])
    base = {
        "web_register": mapping.web_register.pk,
        "jwo_store_id": mapping.jwo_store_id,
        "loyalty_provider": "YINZCAM",
        "delegation_mode": "ORDER",
        "payment_mode": "PAYMENT_SERVICE",
        "fa_strategy": "RETAILER_MANAGED",
        "preauth_amount": "25.00",
        "refund_auto_approve_limit": "0",
        "entry_app": "on",
        "entry_card": "on",
        "is_active": "on",
        **POLICY,
    }
    page = merchant_client.get(url).content.decode()
    assert "F&amp;A: expired card" in page and "Admit with a reduced pre-auth" in page
    # ADJUST needs an amount above zero and not above the pre-auth
    for amount, error in (
        ("", "Give the reduced pre-auth for this risk."),
        ("0", "A pre-auth must be above zero."),
        ("-5", "A pre-auth must be above zero."),
        ("30.00", "A reduced pre-auth must not exceed the pre-auth."),
    ):
        data = {**base, "fa_expired_card": "ADJUST", "fa_expired_card_preauth": amount}
        response = merchant_client.post(url, data)
        assert response.status_code == 400, amount
        assert error in response.content.decode()
    data = {
        **base,
        "fa_expired_card": "ADJUST",
        "fa_expired_card_preauth": "10.00",
        "fa_bad_debt": "APPROVE",
        "associate_trips": "CHARGE",
    }
    assert merchant_client.post(url, data).status_code == 302
    mapping.refresh_from_db()
    assert mapping.fa_policy("ExpiredCard") == ("ADJUST", Decimal("10.00"))
    assert mapping.fa_policy("BadDebt") == ("APPROVE", None)
    assert mapping.trip_policy("ASSOCIATE") == "CHARGE"
    changed = JwoStoreMappingChange.objects.get().changed_fields()
    assert ("fa_expired_card", "Deny entry", "Admit with a reduced pre-auth") in changed
    assert ("fa_expired_card_preauth", "", "10.00 USD") in changed
    assert ("associate_trips", "Don't charge", "Charge as usual") in changed


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("preauth_amount", "-1", "The pre-auth must be more than zero."),
        ("preauth_amount", "0", "The pre-auth must be more than zero."),
        ("refund_auto_approve_limit", "-5", "The limit cannot be negative"),
    ],
)
def test_edit_refuses_a_preauth_or_refund_limit_that_cannot_be(
    merchant_client, field, value, message
):
    mapping = JwoStoreMappingFactory()
    url = reverse("stores:jwo-mapping-edit", args=[mapping.pk])
    response = merchant_client.post(url, _edit_form(mapping, entry_card="on", **{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    mapping.refresh_from_db()
    assert mapping.preauth_amount == Decimal("25.00")
