from django.db import migrations
from django.db.models.functions import Lower


def lowercase(apps, schema_editor):
    """The portal matches receipt e-mails exactly (on an index), so they are kept lower-case."""
    PaymentReceipt = apps.get_model("payments", "PaymentReceipt")
    PaymentReceipt.objects.exclude(shopper_email="").update(shopper_email=Lower("shopper_email"))


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_payoff_orders")]

    operations = [migrations.RunPython(lowercase, migrations.RunPython.noop)]
