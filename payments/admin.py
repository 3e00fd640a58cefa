from django.contrib import admin, messages

from jwo_console.admin import ReadOnlyAdminMixin
from jwo_console.exceptions import ApplicationError
from orders.admin import OrderAdmin
from orders.choices import OrderStatus
from orders.models import Order

from . import services
from .choices import AttemptTrigger
from .models import PaymentAttempt, PaymentReceipt, PaymentStatusReport, Payoff, Refund


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "order",
        "attempt_no",
        "retry_no",
        "trigger",
        "initiated_by",
        "requested_amount",
        "captured_amount",
        "status",
        "step",
        "created_at",
    ]
    list_filter = ["status", "trigger", "service"]
    search_fields = ["order__purchase_id", "idempotency_key"]


@admin.register(PaymentReceipt)
class PaymentReceiptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "brand", "tail", "card_statement_transaction_id", "shopper_email"]
    search_fields = ["order__purchase_id", "card_statement_transaction_id", "tail"]


@admin.register(Payoff)
class PayoffAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["public_id", "party", "amount", "currency", "status", "paid_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["public_id", "party", "email", "processor_session_id", "processor_payment_id"]


@admin.register(PaymentStatusReport)
class PaymentStatusReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "total_amount", "settled_amount", "status", "attempts", "status_time"]
    list_filter = ["status"]
    search_fields = ["order__purchase_id", "reference"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "amount", "currency", "reason_code", "status", "created_at"]
    list_filter = ["status", "reason_code"]
    search_fields = ["order__purchase_id", "refund_request_id"]


admin.site.unregister(Order)


@admin.register(Order)
class OrderWithPaymentsAdmin(OrderAdmin):
    """The orders admin with the staff tooling payments adds: Retry payment (the same service
    as the grid's button and the automatic retry, with the same rules)."""

    list_display = [*OrderAdmin.list_display, "captured_amount", "retries"]
    actions = ["retry_payment"]

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("orders.retry_payment")

    @admin.action(description="Retry payment of the selected orders", permissions=["retry"])
    def retry_payment(self, request, queryset) -> None:
        for order in queryset:
            try:
                services.payment_collect(
                    order_id=order.pk, trigger=AttemptTrigger.MANUAL, actor=request.user
                )
            except ApplicationError as exc:
                self.message_user(request, f"{order}: {exc.message}", messages.ERROR)
                continue
            order.refresh_from_db()
            level = (
                messages.SUCCESS
                if order.status in (OrderStatus.PAID, OrderStatus.COMPLETED)
                else messages.WARNING
            )
            self.message_user(request, f"{order}: {order.status} {order.error_message}", level)
