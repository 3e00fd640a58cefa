"""Merchants, stores, web registers, JWO mappings and console users."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from jwo_console import roles
from stores.choices import LoyaltyProvider
from stores.models import JwoStoreMapping, JwoStoreMappingChange, Merchant, Store, WebRegister

PASSWORD = "correct-horse-battery"


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant
        django_get_or_create = ("code",)

    name = "Test Merchant"
    code = "test-merchant"


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Store {n:03d}")
    code = factory.Sequence(lambda n: f"store-{n:03d}")
    time_zone = "America/New_York"
    currency = "USD"


class WebRegisterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebRegister

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"Web Register {n}")
    code = factory.Sequence(lambda n: f"web-{n}")


class JwoStoreMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JwoStoreMapping

    store = factory.SubFactory(StoreFactory)
    web_register = factory.LazyAttribute(lambda o: WebRegisterFactory(store=o.store))
    jwo_store_id = factory.Sequence(lambda n: f"jwo-store-{n}")
    loyalty_provider = LoyaltyProvider.YINZCAM


class JwoStoreMappingChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JwoStoreMappingChange

    store = factory.SubFactory(StoreFactory)
    action = "UPDATED"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


def merchant_admin(**kwargs):
    return UserFactory(role=roles.MERCHANT_ADMIN, **kwargs)


def staff_user(**kwargs):
    return UserFactory(role=roles.STAFF, **kwargs)
