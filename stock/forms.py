from django import forms

from .choices import MovementKind


class StockChangeForm(forms.Form):
    """One form for the item page's actions: count, adjust, receive, reorder point."""

    ACTIONS = [
        ("count", "Count"),
        ("adjust", "Adjust"),
        ("receive", "Receive goods"),
        ("reorder", "Reorder point"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    quantity = forms.CharField(required=False, max_length=40)
    reason = forms.CharField(required=False, max_length=300)


ACTION_KIND = {"adjust": MovementKind.ADJUSTMENT, "receive": MovementKind.RECEIPT}


class StockImportForm(forms.Form):
    store = forms.IntegerField(widget=forms.HiddenInput)
    file = forms.FileField(label="CSV file")

    MAX_BYTES = 10 * 1024 * 1024

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB; split it.")
        return file
