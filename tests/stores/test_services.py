import pytest
from django.core.exceptions import ValidationError

from stores import services
from stores.choices import MappingChangeAction
from stores.models import JwoStoreMapping, JwoStoreMappingChange
from tests.factories import JwoStoreMappingFactory, StoreFactory, WebRegisterFactory

pytestmark = pytest.mark.django_db


def _row(store=None, **overrides) -> services.MappingInput:
    store = store or StoreFactory()
    fields = {
        "store": store,
        "web_register": WebRegisterFactory(store=store),
        "jwo_store_id": f"jwo-{store.code}",
        "loyalty_provider": "VENUENEXT",
    }
    fields.update(overrides)
    return services.MappingInput(**fields)


class TestMappingsCreate:
    def test_saves_every_row_and_audits_each(self, merchant):
        rows = [_row(), _row()]
        created = services.jwo_store_mappings_create(rows=rows, actor=merchant)
        assert [m.jwo_store_id for m in created] == [r.jwo_store_id for r in rows]
        changes = JwoStoreMappingChange.objects.order_by("pk")
        assert [(c.action, c.actor, c.before) for c in changes] == [
            (MappingChangeAction.CREATED, merchant, None)
        ] * 2
        assert changes[0].after["jwo_store_id"] == rows[0].jwo_store_id
        assert changes[0].after["loyalty_provider"] == "VenueNext"

    def test_one_bad_row_saves_nothing_and_names_the_row_and_field(self, merchant):
        good, bad = _row(), _row(jwo_store_id="not valid!")
        with pytest.raises(services.MappingRowsInvalid) as exc:
            services.jwo_store_mappings_create(rows=[good, bad], actor=merchant)
        assert list(exc.value.row_errors) == [1]
        assert "jwo_store_id" in exc.value.row_errors[1].message_dict
        assert JwoStoreMapping.objects.count() == 0
        assert JwoStoreMappingChange.objects.count() == 0

    def test_the_same_store_or_id_twice_in_one_save_is_refused(self, merchant):
        store = StoreFactory()
        first = _row(store=store)
        again = _row(store=store, jwo_store_id="other")
        same_id = _row(jwo_store_id=first.jwo_store_id)
        with pytest.raises(services.MappingRowsInvalid) as exc:
            services.jwo_store_mappings_create(rows=[first, again, same_id], actor=merchant)
        errors = exc.value.row_errors
        assert errors[1].message_dict["store"] == ["This store is already chosen in row 1."]
        assert errors[2].message_dict["jwo_store_id"] == [
            "This JWO store ID is already used in row 1."
        ]
        assert 0 not in errors

    def test_an_already_mapped_store_is_refused(self, merchant):
        existing = JwoStoreMappingFactory()
        with pytest.raises(services.MappingRowsInvalid) as exc:
            services.jwo_store_mappings_create(rows=[_row(store=existing.store)], actor=merchant)
        assert "store" in exc.value.row_errors[0].message_dict


class TestMappingUpdate:
    def test_records_before_and_after_of_what_changed(self, merchant):
        mapping = JwoStoreMappingFactory(delegation_mode="ORDER", jwo_store_id="old-id")
        services.jwo_store_mapping_update(
            mapping=mapping,
            data={"delegation_mode": "FULL", "jwo_store_id": "new-id"},
            actor=merchant,
        )
        mapping.refresh_from_db()
        assert (mapping.delegation_mode, mapping.jwo_store_id) == ("FULL", "new-id")
        change = JwoStoreMappingChange.objects.get()
        assert change.action == MappingChangeAction.UPDATED
        assert change.actor == merchant
        assert change.changed_fields() == [
            ("jwo_store_id", "old-id", "new-id"),
            ("delegation_mode", "Order", "Full"),
        ]

    def test_no_change_records_nothing(self, merchant):
        mapping = JwoStoreMappingFactory()
        services.jwo_store_mapping_update(
            mapping=mapping, data={"loyalty_provider": mapping.loyalty_provider}, actor=merchant
        )
        assert JwoStoreMappingChange.objects.count() == 0

    def test_invalid_change_is_refused_and_nothing_is_saved(self, merchant):
        mapping = JwoStoreMappingFactory()
        foreign_register = WebRegisterFactory()
        with pytest.raises(ValidationError):
            services.jwo_store_mapping_update(
                mapping=mapping, data={"web_register": foreign_register}, actor=merchant
            )
        mapping.refresh_from_db()
        assert mapping.web_register != foreign_register
        assert JwoStoreMappingChange.objects.count() == 0

    def test_the_store_of_a_mapping_cannot_be_changed(self, merchant):
        mapping = JwoStoreMappingFactory()
        with pytest.raises(ValueError, match="not editable"):
            services.jwo_store_mapping_update(
                mapping=mapping, data={"store": StoreFactory()}, actor=merchant
            )


def test_delete_keeps_what_it_was_in_the_audit_trail(merchant):
    mapping = JwoStoreMappingFactory(jwo_store_id="gone-id")
    store = mapping.store
    services.jwo_store_mapping_delete(mapping=mapping, actor=merchant)
    assert not JwoStoreMapping.objects.exists()
    change = JwoStoreMappingChange.objects.get()
    assert (change.action, change.store, change.after) == (
        MappingChangeAction.DELETED,
        store,
        None,
    )
    assert change.before["jwo_store_id"] == "gone-id"
