from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Shopper portal"

    def ready(self) -> None:
        from payments import signals

        from . import receivers

        signals.receipt_stored.connect(receivers.on_receipt_stored, dispatch_uid="portal-receipt")
        signals.payment_declined.connect(
            receivers.on_payment_declined, dispatch_uid="portal-declined"
        )
        signals.refund_changed.connect(receivers.on_refund_changed, dispatch_uid="portal-refund")
        signals.payoff_paid.connect(receivers.on_payoff_paid, dispatch_uid="portal-payoff")
