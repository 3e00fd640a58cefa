import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from stores.models import JwoStoreMapping
from tests.factories import JwoStoreMappingFactory, StoreFactory, WebRegisterFactory

pytestmark = pytest.mark.django_db


def _mapping(**overrides) -> JwoStoreMapping:
    store = overrides.pop("store", None) or StoreFactory()
    fields = {
        "store": store,
        "web_register": overrides.pop("web_register", None) or WebRegisterFactory(store=store),
        "jwo_store_id": "jwo-store-1",
        "loyalty_provider": "YINZCAM",
    }
    fields.update(overrides)
    return JwoStoreMapping(**fields)


@pytest.mark.parametrize("value", ["abc", "A_b-9", "x" * 255, "0123456789"])
def test_jwo_store_id_accepts_amazons_alphabet(value):
    _mapping(jwo_store_id=value).full_clean()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("has space", "letters, digits, hyphens and underscores"),
        ("slash/id", "letters, digits, hyphens and underscores"),
        ("émoji", "letters, digits, hyphens and underscores"),
        ("x" * 256, "at most 255 characters"),
        ("", "This field cannot be blank."),
    ],
)
def test_jwo_store_id_refuses_what_amazon_refuses(value, reason):
    with pytest.raises(ValidationError) as exc:
        _mapping(jwo_store_id=value).full_clean()
    assert reason in " ".join(exc.value.message_dict["jwo_store_id"])


def test_web_register_must_belong_to_the_store():
    other_register = WebRegisterFactory()
    with pytest.raises(ValidationError) as exc:
        _mapping(web_register=other_register).full_clean()
    assert exc.value.message_dict["web_register"] == [
        "Choose a web register of the selected store."
    ]


def test_loyalty_provider_is_required_and_limited_to_the_two_providers():
    with pytest.raises(ValidationError) as exc:
        _mapping(loyalty_provider="").full_clean()
    assert "loyalty_provider" in exc.value.message_dict
    with pytest.raises(ValidationError):
        _mapping(loyalty_provider="SQUARE").full_clean()


def test_delegation_mode_defaults_to_order():
    assert _mapping().delegation_mode == "ORDER"


def test_database_refuses_a_second_mapping_for_a_store():
    existing = JwoStoreMappingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        JwoStoreMapping.objects.create(
            store=existing.store,
            web_register=existing.web_register,
            jwo_store_id="another-id",
            loyalty_provider="VENUENEXT",
        )


def test_database_refuses_a_second_use_of_a_jwo_store_id():
    existing = JwoStoreMappingFactory(jwo_store_id="shared-id")
    store = StoreFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        JwoStoreMapping.objects.create(
            store=store,
            web_register=WebRegisterFactory(store=store),
            jwo_store_id=existing.jwo_store_id,
            loyalty_provider="YINZCAM",
        )


def test_database_refuses_a_mapping_without_any_entry_method():
    with pytest.raises(IntegrityError), transaction.atomic():
        _mapping(entry_app=False, entry_card=False).save()


def test_store_time_zone_and_currency_are_validated():
    store = StoreFactory.build(time_zone="Mars/Olympus", currency="usd")
    with pytest.raises(ValidationError) as exc:
        store.full_clean(exclude=["merchant"])
    assert set(exc.value.message_dict) >= {"time_zone", "currency"}


def test_audit_entries_read_in_plain_words():
    from stores.models import JwoStoreMappingChange

    change = JwoStoreMappingChange(
        before={"web_register": "A", "entry_card": True, "jwo_store_id": "x"},
        after={"web_register": "B", "entry_card": False, "jwo_store_id": "x"},
    )
    assert change.changed_fields_display() == [
        ("Web register", "A", "B"),
        ("Card entry (tap)", "Yes", "No"),
    ]
