"""The playground as a page served from this machine, for rooms without notebooks: ``micrograd-plus playground``.

The standard library's HTTP server on 127.0.0.1 only. It serves the same front-end as the widget (the
``.html``/``.js``/``.css`` files beside this one: the page needs no internet) and a small JSON API:

    GET  /api/state      the session's state: step, losses, every setting (for scripts and tests)
    GET  /api/traits     the view's state, as the widget syncs it (settings, running, frame, info, error)
    POST /api/traits     change settings or running: {"settings": {...}} or {"running": true}
    POST /api/message    a view message: {"type": "tick"}, "step", "reset", "select", "explain", "address"
    GET  /api/explain?target=layers.0.neurons.1.w.0   a parameter's value, grad and explain() text

While playing, a thread trains in short turns; a request (the page asking for a frame) takes its turn
between two of them, so training goes on while the browser draws. Requests are answered only for this
machine's own addresses (the Host header is checked, so a web page elsewhere cannot drive it through DNS
tricks).
"""
from __future__ import annotations

import json
import math
import pathlib
import sys
import threading
import urllib.parse
import webbrowser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .. import checks
from .controller import Controller
from .session import Session

FILES = pathlib.Path(__file__).parent
PAGES = {'/': ('playground.html', 'text/html'), '/playground.js': ('playground.js', 'text/javascript'),
         '/page.js': ('page.js', 'text/javascript'), '/playground.css': ('playground.css', 'text/css')}
MAX_BODY = 1 << 20  # bytes: a request body is a few settings
TURN_SECONDS = 0.02  # the training thread's turn: then a waiting request gets the session


class PlaygroundServer(ThreadingHTTPServer):
    """One playground session served on 127.0.0.1:``port`` (0: a free port; see ``url``)."""

    daemon_threads = True

    def __init__(self, port: int = 0, **settings: Any) -> None:
        port = checks.count('port', port, at_least=0, at_most=None)
        if port > 65535:
            raise ValueError(f'port must be a TCP port, 0 to 65535 (0: any free one), got {port}')
        self.controller = Controller(Session(**settings), tick_seconds=0.0)  # the thread below trains
        self.lock = threading.Lock()
        self.answered = 0
        self._closing = threading.Event()
        self._trainer = threading.Thread(target=self._train, name='playground-trainer', daemon=True)
        super().__init__(('127.0.0.1', port), _Handler)  # (a port that is taken raises here)
        self._trainer.start()

    def _train(self) -> None:
        while not self._closing.is_set():
            with self.lock:
                running = self.controller.running
                if running:
                    self.controller.train_for(TURN_SECONDS)
            self._closing.wait(0.002 if running else 0.05)  # a waiting request takes the lock now

    def server_close(self) -> None:
        self._closing.set()
        if self._trainer.is_alive():
            self._trainer.join()
        super().server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A page closed while its answer was on the way is no error to report; anything else is."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.port}/'


class _Handler(BaseHTTPRequestHandler):
    server: PlaygroundServer

    def log_message(self, format: str, *args: Any) -> None:  # a classroom needs no request log on the terminal
        pass

    def _host_is_local(self) -> bool:
        host = (self.headers.get('Host') or '').rsplit(':', 1)[0]
        return host in ('127.0.0.1', 'localhost')

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header('Content-Type', f'{kind}; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')
        self.send_header('X-Content-Type-Options', 'nosniff')
        self.end_headers()
        self.wfile.write(body)

    def _json(self, answer: Any, status: int = HTTPStatus.OK) -> None:
        self._send(status, json.dumps(answer, allow_nan=False).encode(), 'application/json')

    def _refuse(self, status: int, why: str) -> None:
        self._json({'error': why}, status)

    def do_GET(self) -> None:
        if not self._host_is_local():
            return self._refuse(HTTPStatus.FORBIDDEN, 'the playground answers only to 127.0.0.1 and localhost')
        address = urllib.parse.urlsplit(self.path)
        if address.path in PAGES:
            name, kind = PAGES[address.path]
            return self._send(HTTPStatus.OK, (FILES / name).read_bytes(), kind)
        controller = self.server.controller
        with self.server.lock:
            if address.path == '/api/state':
                return self._json({**_finite(controller.session.state()), 'running': controller.running})
            if address.path == '/api/traits':
                return self._json(controller.traits())
            if address.path == '/api/explain':
                target = urllib.parse.parse_qs(address.query).get('target', [''])[0]
                try:
                    text = controller.session.explain(target)
                    return self._json({**controller.session.info(target), 'text': text})
                except (TypeError, ValueError) as error:
                    return self._refuse(HTTPStatus.BAD_REQUEST, str(error))
        self._refuse(HTTPStatus.NOT_FOUND, f'no such page: {address.path}')

    def do_POST(self) -> None:
        if not self._host_is_local():
            return self._refuse(HTTPStatus.FORBIDDEN, 'the playground answers only to 127.0.0.1 and localhost')
        length = int(self.headers.get('Content-Length') or 0)
        if not 0 < length <= MAX_BODY:
            return self._refuse(HTTPStatus.BAD_REQUEST, f'a request body is JSON of 1 to {MAX_BODY} bytes')
        try:
            content = json.loads(self.rfile.read(length))
        except ValueError:
            return self._refuse(HTTPStatus.BAD_REQUEST, 'the request body is not JSON')
        controller = self.server.controller
        with self.server.lock:
            try:
                if self.path == '/api/traits':
                    controller.set(content if isinstance(content, dict) else {'settings': content})
                    replies: list[dict[str, Any]] = []
                elif self.path == '/api/message':
                    replies = controller.message(content)
                else:
                    return self._refuse(HTTPStatus.NOT_FOUND, f'no such address: {self.path}')
            except (TypeError, ValueError) as error:
                return self._refuse(HTTPStatus.BAD_REQUEST, str(error))
            self.server.answered += 1  # the page may get answers out of order: it keeps the newest
            self._json({'traits': controller.traits(), 'messages': replies, 'answer': self.server.answered})


def _finite(state: dict[str, Any]) -> dict[str, Any]:
    """nan and inf (a network that diverged) as null: JSON has no other word for them."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in state.items()}


def serve(port: int = 8765, open_browser: bool = True, **settings: Any) -> int:
    """Serve the playground until Ctrl-C; opens it in the browser unless ``open_browser=False``. Returns 0."""
    open_browser = checks.flag('open_browser', open_browser)
    try:
        server = PlaygroundServer(port, **settings)
    except OSError as error:  # the port is taken, or not ours to take: a wrong value for it
        raise ValueError(f'cannot serve on 127.0.0.1:{port} ({error.strerror}): pass another --port, or --port 0 '
                         'for any free one') from None
    print(f'micrograd_plus playground: {server.url}  (Ctrl-C stops it)', flush=True)
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print('micrograd_plus playground: stopped', flush=True)
    return 0
