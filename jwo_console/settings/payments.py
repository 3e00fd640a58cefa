"""Payments (payments/): retry schedule, sweep, leases, refunds, pre-auth, F&A reports."""

from .environment import env

# Payments (payments/): the automatic retry schedule over the retry window, counted from the
# order's creation (minutes), the staff Retry cooldown, how soon a PENDING adjust is asked again,
# how long an attempt holds its lease (longer than the transport's retries take), refunds.
JWO_PAYMENT_ON_PRICED = env.bool("JWO_PAYMENT_ON_PRICED", default=True)
JWO_RETRY_WINDOW_HOURS = env.int("JWO_RETRY_WINDOW_HOURS", default=48)
JWO_RETRY_SCHEDULE_MINUTES = env.list(
    "JWO_RETRY_SCHEDULE_MINUTES", cast=float, default=[15, 60, 240, 480, 960, 1440, 2160, 2820]
)
JWO_RETRY_COOLDOWN_MINUTES = env.int("JWO_RETRY_COOLDOWN_MINUTES", default=5)
JWO_PENDING_RETRY_SECONDS = env.int("JWO_PENDING_RETRY_SECONDS", default=120)
JWO_TRANSIENT_RETRY_SECONDS = env.int("JWO_TRANSIENT_RETRY_SECONDS", default=300)
JWO_ATTEMPT_LEASE_SECONDS = env.int("JWO_ATTEMPT_LEASE_SECONDS", default=120)
JWO_REFUND_WINDOW_DAYS = env.int("JWO_REFUND_WINDOW_DAYS", default=30)  # Amazon's page says 7
# The sweep (payments/sweep.py): how often beat runs it, how long a claimed order waits before it
# is claimed again (its task lost), how soon the sweep takes over an action whose task was queued
# at a commit and never ran.
JWO_SWEEP_SECONDS = env.float("JWO_SWEEP_SECONDS", default=30.0)
JWO_SWEEP_CLAIM_SECONDS = env.int("JWO_SWEEP_CLAIM_SECONDS", default=300)
JWO_TASK_GRACE_SECONDS = env.int("JWO_TASK_GRACE_SECONDS", default=60)
# While the money queue holds more than JWO_SWEEP_DEEP_QUEUE messages (a rush the workers are
# working through; Redis brokers only), the sweeps take over only work overdue by more than
# JWO_SWEEP_DEEP_QUEUE_GRACE_SECONDS (the broker's visibility timeout): the rest most likely has
# its own task in that queue, and a second one would only deepen it.
JWO_SWEEP_DEEP_QUEUE = env.int("JWO_SWEEP_DEEP_QUEUE", default=200)
JWO_SWEEP_DEEP_QUEUE_GRACE_SECONDS = env.int("JWO_SWEEP_DEEP_QUEUE_GRACE_SECONDS", default=600)
# A capture without an answer: how soon Amazon's record is read, and after how many failed reads
# the order waits for a person (Payment outcome unknown — needs review).
JWO_RESOLVE_AFTER_SECONDS = env.int("JWO_RESOLVE_AFTER_SECONDS", default=60)
JWO_RESOLVE_MAX_READS = env.int("JWO_RESOLVE_MAX_READS", default=10)
# A PENDING AdjustCharge is asked again at most this many times for one slot, then ERROR.
JWO_PENDING_MAX_CHECKS = env.int("JWO_PENDING_MAX_CHECKS", default=10)
# The gate's pre-auth lifetime is the processor's (Amazon's pages give no figure): orders not paid
# within JWO_PREAUTH_WARN_HOURS of it are flagged in the grid.
JWO_PREAUTH_LIFETIME_HOURS = env.int("JWO_PREAUTH_LIFETIME_HOURS", default=72)
JWO_PREAUTH_WARN_HOURS = env.int("JWO_PREAUTH_WARN_HOURS", default=12)

# ReportPaymentStatus (Amazon-managed F&A): how soon a report Amazon did not accept is resent.
JWO_FEEDBACK_RETRY_SECONDS = env.int("JWO_FEEDBACK_RETRY_SECONDS", default=60)
