from django import forms

from .models import AlertThresholds
from .services import THRESHOLD_FIELDS


class AlertThresholdsForm(forms.ModelForm):
    class Meta:
        model = AlertThresholds
        fields = THRESHOLD_FIELDS
