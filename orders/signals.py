"""Signals orders sends to the layers above it (payments listens; orders never imports it)."""

from django.dispatch import Signal

# Sent inside the pricing transaction once an order is PRICED; receivers enqueue on commit.
# Arguments: order_id.
order_priced = Signal()
