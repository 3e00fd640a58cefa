"""Amazon JWO: the connector, the outbound clients, the sandbox that plays Amazon, Scan Key
Codes and Amazon's reporting (feeds/)."""

from .environment import LOCAL_BASE_URL, env

JWO_REGION = env("JWO_REGION", default="us-east-1")
JWO_SANDBOX = env.bool("JWO_SANDBOX", default=False)
# Accept the current and the previous secret so the gateway's secret can be rotated.
JWO_CONNECTOR_SECRET = env("JWO_CONNECTOR_SECRET", default="")
JWO_CONNECTOR_SECRET_PREVIOUS = env("JWO_CONNECTOR_SECRET_PREVIOUS", default="")
# What the connector refuses (README, "The connector"): bodies over this size (413, a preview is
# kept), nesting deeper than this (400), and more than this many requests per store (429).
JWO_CONNECTOR_MAX_BODY_BYTES = env.int("JWO_CONNECTOR_MAX_BODY_BYTES", default=1_048_576)
JWO_CONNECTOR_MAX_DEPTH = env.int("JWO_CONNECTOR_MAX_DEPTH", default=16)
JWO_CONNECTOR_RATE_PER_STORE = env("JWO_CONNECTOR_RATE_PER_STORE", default="3000/second")
# A cart line's quantity is at most this (and has at most 3 decimal places).
JWO_CART_MAX_QUANTITY = env.int("JWO_CART_MAX_QUANTITY", default=999)
# Further values an enum of Amazon's accepts without a release (connector/enums.py):
# JWO_ENUM_LOCATION=EXIT,KIOSK adds two locations. One variable per enum.
JWO_CONNECTOR_ENUM_EXTRA = {
    name: env.list(f"JWO_ENUM_{name}", default=[])
    for name in (
        "LOCATION",
        "KEY_CHANNEL",
        "SCAN_RESULT_TYPE",
        "EXTERNAL_ID_TYPE",
        "CART_ITEM_TYPE",
        "PAYLOAD_TYPE",
        "SHOPPER_KEY_TYPE",
        "GATE_EVENT_TYPE",
        "INTERACTION_TYPE",
        "AUTHORIZATION_CONDITION",
        "SHOPPER_RISK",
    )
}

# Outbound calls to Amazon (integrations/amazon/config.py explains the order of resolution).
JWO_ENVIRONMENT = env("JWO_ENVIRONMENT", default="test")  # Amazon's "test" or "production" hosts
JWO_CATALOG_URL = env("JWO_CATALOG_URL", default="")
JWO_PAYMENTS_URL = env("JWO_PAYMENTS_URL", default="")
JWO_CHECKOUT_URL = env("JWO_CHECKOUT_URL", default="")
JWO_FEEDBACK_URL = env("JWO_FEEDBACK_URL", default="")
JWO_ROLE_ARN = env("JWO_ROLE_ARN", default="")
JWO_STS_ENDPOINT_URL = env("JWO_STS_ENDPOINT_URL", default="")
JWO_USE_AWS_CREDENTIALS = env.bool("JWO_USE_AWS_CREDENTIALS", default=False)
JWO_HTTP_CONNECT_TIMEOUT = env.float("JWO_HTTP_CONNECT_TIMEOUT", default=3.05)
JWO_HTTP_READ_TIMEOUT = env.float("JWO_HTTP_READ_TIMEOUT", default=10.0)
JWO_HTTP_MAX_ATTEMPTS = env.int("JWO_HTTP_MAX_ATTEMPTS", default=4)
JWO_HTTP_MAX_INLINE_RETRY_AFTER = env.float("JWO_HTTP_MAX_INLINE_RETRY_AFTER", default=30.0)
# A kept-alive connection to Amazon idle longer than this is dropped before the next call: a
# server may close an idle connection just as a request goes out (gunicorn after 2 s), and a
# request lost that way is an unknown outcome for a capture. Below any server's keep-alive.
JWO_HTTP_KEEPALIVE_IDLE_SECONDS = env.float("JWO_HTTP_KEEPALIVE_IDLE_SECONDS", default=1.0)
JWO_FEEDBACK_TIME_UNIT = env("JWO_FEEDBACK_TIME_UNIT", default="ms")  # "ms" or "s"
JWO_CALL_LOG_RETENTION_DAYS = env.int("JWO_CALL_LOG_RETENTION_DAYS", default=30)

# The sandbox that plays Amazon (sandbox/), and the key pair its gateway accepts.
JWO_SANDBOX_URL = env("JWO_SANDBOX_URL", default=f"{LOCAL_BASE_URL}/sandbox")
JWO_SANDBOX_ACCESS_KEY_ID = env("JWO_SANDBOX_ACCESS_KEY_ID", default="AKIDJWOSANDBOX")
JWO_SANDBOX_SECRET_ACCESS_KEY = env("JWO_SANDBOX_SECRET_ACCESS_KEY", default="sandbox-secret-key")
JWO_SANDBOX_CONNECTOR_URL = env("JWO_SANDBOX_CONNECTOR_URL", default=LOCAL_BASE_URL)
# The Checkout page does not say whether unitPrice.price is per unit or per line: "line" (the
# line's shelf amount; totalPrice = price - promotions + salesTax) or "unit" (times the quantity).
JWO_CHECKOUT_PRICE_PER = env("JWO_CHECKOUT_PRICE_PER", default="line")
SANDBOX_AUTO_REGISTER_STORES = env.bool("SANDBOX_AUTO_REGISTER_STORES", default=True)
# Where Amazon's catalog upload notifications arrive (the retailer's SQS queue).
JWO_CATALOG_SQS_QUEUE_URL = env("JWO_CATALOG_SQS_QUEUE_URL", default="")
JWO_CATALOG_SQS_QUEUE_NAME = env("JWO_CATALOG_SQS_QUEUE_NAME", default="")
JWO_CATALOG_SQS_ENDPOINT_URL = env("JWO_CATALOG_SQS_ENDPOINT_URL", default="")
CATALOG_UPLOAD_BATCH_SIZE = env.int("CATALOG_UPLOAD_BATCH_SIZE", default=10_000)
CATALOG_UPLOAD_CONCURRENCY = env.int("CATALOG_UPLOAD_CONCURRENCY", default=2)
CATALOG_POLL_AFTER_SECONDS = env.int("CATALOG_POLL_AFTER_SECONDS", default=30)
SANDBOX_CATALOG_STEP_SECONDS = env.float("SANDBOX_CATALOG_STEP_SECONDS", default=2.0)
SANDBOX_REPORT_LINK_TTL_SECONDS = env.int("SANDBOX_REPORT_LINK_TTL_SECONDS", default=3600)
SANDBOX_SQS_ENDPOINT_URL = env("SANDBOX_SQS_ENDPOINT_URL", default="")
SANDBOX_SQS_QUEUE_NAME = env("SANDBOX_SQS_QUEUE_NAME", default="jwo-catalog-notifications")

# Scan Key Codes (shoppers/scankeys.py): the prefix the Merchant Portal's QR pattern expects, and
# how old a code may be when scanned (Amazon: pick within 30-90 s).
JWO_SCAN_KEY_PREFIX = env("JWO_SCAN_KEY_PREFIX", default="JWO")
JWO_SCAN_KEY_MAX_AGE_SECONDS = env.int("JWO_SCAN_KEY_MAX_AGE_SECONDS", default=60)

# Amazon's reporting (feeds/): the intra-day files' bucket and queue, the event feed's key and
# queue, and the column mapping of the files (headers → fields; the admin's rows add to it).
# The sandbox writes files with exactly these headers (sandbox/reporting.py).
JWO_INTRADAY_S3_BUCKET = env("JWO_INTRADAY_S3_BUCKET", default="")
JWO_INTRADAY_S3_PREFIX = env("JWO_INTRADAY_S3_PREFIX", default="")
JWO_INTRADAY_S3_ENDPOINT_URL = env("JWO_INTRADAY_S3_ENDPOINT_URL", default="")
JWO_INTRADAY_SQS_QUEUE_URL = env("JWO_INTRADAY_SQS_QUEUE_URL", default="")
JWO_INTRADAY_SQS_QUEUE_NAME = env("JWO_INTRADAY_SQS_QUEUE_NAME", default="")
JWO_REPORTING_SQS_ENDPOINT_URL = env("JWO_REPORTING_SQS_ENDPOINT_URL", default="")
JWO_EVENT_SQS_QUEUE_URL = env("JWO_EVENT_SQS_QUEUE_URL", default="")
JWO_EVENT_SQS_QUEUE_NAME = env("JWO_EVENT_SQS_QUEUE_NAME", default="")
# The shared header EventBridge's API destination sends (X-JWO-Event-Key); the previous key is
# accepted too while rotating, as for the connector secret.
JWO_EVENT_FEED_KEY = env("JWO_EVENT_FEED_KEY", default="")
JWO_EVENT_FEED_KEY_PREVIOUS = env("JWO_EVENT_FEED_KEY_PREVIOUS", default="")
JWO_INTRADAY_COLUMNS = env.json(
    "JWO_INTRADAY_COLUMNS",
    default={
        "order_id": "trip_id",
        "store_id": "store_id",
        "order_time": "ordered_at",
        "order_status": "status",
        "currency": "currency",
        "order_total": "order_total",
        "captured_amount": "captured",
        "refunded_amount": "refunded",
        "line_id": "line_id",
        "sku": "sku",
        "quantity": "quantity",
        "line_amount": "line_amount",
        "line_tax": "line_tax",
    },
)
# The sandbox's reporting (sandbox/reporting.py): how often it writes a file and posts events.
SANDBOX_REPORTING_INTERVAL_SECONDS = env.int("SANDBOX_REPORTING_INTERVAL_SECONDS", default=900)
SANDBOX_INTRADAY_BUCKET = env("SANDBOX_INTRADAY_BUCKET", default="jwo-intraday-reports")
SANDBOX_INTRADAY_QUEUE_NAME = env("SANDBOX_INTRADAY_QUEUE_NAME", default="jwo-intraday-files")
