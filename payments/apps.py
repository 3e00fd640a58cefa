from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        # A priced order is handed to payments (orders sits below payments: it sends a signal).
        from orders.signals import order_priced

        from .receivers import take_payment_when_priced

        order_priced.connect(take_payment_when_priced, dispatch_uid="payments.take_payment")
