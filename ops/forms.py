from django import forms

from jwo_console.forms import PlainIntegerField

from .models import AlertThresholds
from .services import THRESHOLD_FIELDS


class AlertThresholdsForm(forms.ModelForm):
    """Each threshold in ASCII digits only (``PlainIntegerField``), within the model's limits."""

    class Meta:
        model = AlertThresholds
        fields = THRESHOLD_FIELDS
        field_classes = dict.fromkeys(THRESHOLD_FIELDS, PlainIntegerField)
