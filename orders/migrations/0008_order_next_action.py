from django.db import migrations, models


class Migration(migrations.Migration):
    """One explicit next action per unfinished order (the sweep's claim), the review state and
    the store credit of a short collection. ``next_retry_at`` becomes ``next_action_at``."""

    dependencies = [
        ("orders", "0007_issue17_connector_contract"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="order", name="order_next_retry_idx"),
        migrations.RenameField(model_name="order", old_name="next_retry_at", new_name="next_action_at"),
        migrations.AlterField(
            model_name="order",
            name="next_action_at",
            field=models.DateTimeField(
                blank=True, help_text="When the sweep takes the order's next action.", null=True
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="next_action",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Nothing (final, or waiting for a person)"),
                    ("PRICE", "Price the cart"),
                    ("PAY", "Take the payment (first attempt or the next retry)"),
                    ("RESUME", "Resume the unfinished payment attempt at its step"),
                    ("RESOLVE", "Ask Amazon whether the capture whose answer was lost happened"),
                    ("RECEIPT", "Fetch the receipt data"),
                ],
                db_default="",
                default="",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="store_credit_amount",
            field=models.DecimalField(
                db_default=0,
                decimal_places=2,
                default=0,
                help_text="Collected short: what exceeded the authorized amount, owed as store credit.",
                max_digits=14,
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="status",
            field=models.CharField(
                choices=[
                    ("PENDING", "Pending (pricing)"),
                    ("PRICED", "Priced (awaiting payment)"),
                    ("ERROR", "Error"),
                    ("PAID", "Paid"),
                    ("COMPLETED", "Completed"),
                    ("REVIEW", "Payment outcome unknown — needs review"),
                ],
                db_index=True,
                default="PENDING",
                max_length=12,
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("next_action_at__isnull", False)),
                fields=["next_action_at"],
                name="order_next_action_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("store_credit_amount__gt", 0)),
                fields=["created_at", "id"],
                name="order_collected_short_idx",
            ),
        ),
        # Orders still waiting: give each its next action, so the sweep finds them.
        migrations.RunSQL(
            sql=[
                "UPDATE orders_order SET next_action = 'PRICE', next_action_at = created_at "
                "WHERE status = 'PENDING'",
                "UPDATE orders_order SET next_action = 'PAY', "
                "next_action_at = COALESCE(next_action_at, priced_at) "
                "WHERE status = 'PRICED'",
                "UPDATE orders_order SET next_action = 'PAY' "
                "WHERE status = 'ERROR' AND next_action_at IS NOT NULL",
                "UPDATE orders_order SET next_action = 'RECEIPT', "
                "next_action_at = COALESCE(next_action_at, updated_at) WHERE status = 'PAID'",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
