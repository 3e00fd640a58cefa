from django.db import migrations
from django.db.models.functions import Lower, Upper


def lowercase(apps, schema_editor):
    """The portal matches receipt e-mails and statement ids exactly (on their indexes), so
    e-mails are kept lower-case and statement transaction ids upper-case."""
    PaymentReceipt = apps.get_model("payments", "PaymentReceipt")
    PaymentReceipt.objects.exclude(shopper_email="").update(shopper_email=Lower("shopper_email"))
    PaymentReceipt.objects.exclude(card_statement_transaction_id="").update(
        card_statement_transaction_id=Upper("card_statement_transaction_id")
    )


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_payoff_orders")]

    operations = [migrations.RunPython(lowercase, migrations.RunPython.noop)]
