"""moto's server (the sandbox's SQS) for ``make run``, without a log line per request unless
``JWO_RUN_VERBOSE=1``: ``python -m sandbox.sqs_server -H 127.0.0.1 -p 5001``."""

import logging
import os
import sys


def main() -> None:
    verbose = os.environ.get("JWO_RUN_VERBOSE", "") not in ("", "0")
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.INFO if verbose else logging.WARNING)
    from moto.server import main as moto_main

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
