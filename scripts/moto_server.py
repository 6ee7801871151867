"""moto's server, with every request handled under one lock.

moto's in-memory backends are not thread-safe: its TransactWriteItems deep-copies the
whole table before applying the items and restores that copy on a failed condition, so
two concurrent transactions can half-apply or undo each other (seen here: 20 concurrent
employee creations with the same email left the seat counter off by one). DynamoDB makes
every request atomic; this wrapper does too, by running one request at a time, while
connections stay concurrent (threaded server, keep-alive).

Usage: python moto_server.py HOST PORT
"""

import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    run_simple(host, port, one_at_a_time, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
