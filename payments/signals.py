"""What payments tells the layers above (the portal e-mails the shopper): sent after the
transaction that made the change commits, with ids only."""

from django.dispatch import Signal

# order_id: the receipt data (card, e-mail from GetShopperIdentity) is stored.
receipt_stored = Signal()
# order_id: a payment was declined (the shopper's address is known from then on).
payment_declined = Signal()
# refund_id: a refund was requested, refunded or rejected.
refund_changed = Signal()
# payoff_id: a portal payoff was confirmed paid.
payoff_paid = Signal()
