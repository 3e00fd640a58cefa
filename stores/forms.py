from django import forms

from jwo_console.forms import use_money_fields

from .choices import DELEGATION_MODE_HELP
from .models import JwoStoreMapping, WebRegister
from .selectors import stores_unmapped, web_registers_for_stores


class WebRegisterSelect(forms.Select):
    """A select whose options carry ``data-store`` so the page can offer only the chosen store's
    registers (the server checks the same rule again)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if isinstance(instance, WebRegister):
            option["attrs"]["data-store"] = str(instance.store_id)
        return option


class WebRegisterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: WebRegister) -> str:
        return obj.name


DELEGATION_HELP_TEXT = " ".join(DELEGATION_MODE_HELP.values())


class JwoStoreMappingRowForm(forms.ModelForm):
    """One + row of the mapping page. Every field must be filled in; errors show on the field."""

    use_required_attribute = False  # the server's inline errors, not the browser's bubbles

    web_register = WebRegisterChoiceField(
        queryset=WebRegister.objects.none(), widget=WebRegisterSelect
    )

    class Meta:
        model = JwoStoreMapping
        fields = ["store", "web_register", "jwo_store_id", "loyalty_provider", "delegation_mode"]
        labels = {"store": "Store", "web_register": "Web Register", "jwo_store_id": "JWO Store ID"}
        help_texts = {"delegation_mode": DELEGATION_HELP_TEXT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty_permitted = False  # a row added with + and left blank is an error, not ignored
        unmapped = stores_unmapped()
        self.fields["store"].queryset = unmapped
        self.fields["store"].empty_label = "Choose a store"
        self.fields["web_register"].queryset = web_registers_for_stores(unmapped)
        self.fields["web_register"].empty_label = "Choose a web register"
        self.fields["loyalty_provider"].choices = [
            ("", "Choose a provider"),
            *list(self.fields["loyalty_provider"].choices)[1:],
        ]
        self.fields["jwo_store_id"].widget.attrs.update(
            {"placeholder": "e.g. jwo-store-123", "autocomplete": "off", "spellcheck": "false"}
        )


JwoStoreMappingRowFormSet = forms.formset_factory(JwoStoreMappingRowForm, extra=0)


class JwoStoreMappingEditForm(forms.ModelForm):
    use_required_attribute = False

    web_register = WebRegisterChoiceField(queryset=WebRegister.objects.none())

    class Meta:
        model = JwoStoreMapping
        fields = [
            "web_register",
            "jwo_store_id",
            "loyalty_provider",
            "delegation_mode",
            "payment_mode",
            "fa_strategy",
            "preauth_amount",
            "refund_auto_approve_limit",
            "fa_invalid_card",
            "fa_invalid_card_preauth",
            "fa_expired_card",
            "fa_expired_card_preauth",
            "fa_customer_fraud",
            "fa_customer_fraud_preauth",
            "fa_bad_debt",
            "fa_bad_debt_preauth",
            "associate_trips",
            "cash_trips",
            "alert_emails",
            "stock_source",
            "stock_restore_unpaid",
            "stock_return_refunds",
            "entry_app",
            "entry_card",
            "is_active",
        ]
        labels = {"web_register": "Web Register", "jwo_store_id": "JWO Store ID"}
        help_texts = {"delegation_mode": DELEGATION_HELP_TEXT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["web_register"].queryset = WebRegister.objects.filter(store=self.instance.store)
        use_money_fields(self, ["preauth_amount", "refund_auto_approve_limit"])
        self.fields["stock_source"].required = False  # a form posted without it keeps the value

    def clean_stock_source(self) -> str:
        return self.cleaned_data.get("stock_source") or self.instance.stock_source

    def clean_preauth_amount(self):
        amount = self.cleaned_data.get("preauth_amount")
        if amount is not None and amount <= 0:
            raise forms.ValidationError("The pre-auth must be more than zero.")
        return amount

    def clean_refund_auto_approve_limit(self):
        limit = self.cleaned_data.get("refund_auto_approve_limit")
        if limit is not None and limit < 0:
            raise forms.ValidationError(
                "The limit cannot be negative (0: staff approve every refund)."
            )
        return limit
