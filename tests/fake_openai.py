"""A local OpenAI-compatible chat server that misbehaves on purpose, for agent and harness tests.

``FakeOpenAI(script)`` serves ``POST /v1/chat/completions`` on 127.0.0.1 (a free port); each request
takes the next step of ``script`` (``"ok"`` once the script is used up):

* ``"ok"``: a valid chat completion whose content is ``answer``;
* ``"500"``, ``"503"``, ``"429"``, ``"400"``, ``"401"``: that status with an OpenAI-style error body;
* ``"timeout"``: sleep ``delay`` seconds, then close without answering;
* ``"html200"``: status 200 with an HTML page (a proxy or a wrong ``base_url``);
* ``"empty_choices"``: status 200, valid JSON, ``"choices": []``;
* ``"truncated"``: status 200 with the first half of a valid completion's JSON;
* ``"drip"``: status 200 with a valid completion sent one byte every ``drip_interval`` seconds (a
  stalled server that never trips a per-read timeout);
* ``"slow_headers"``: the status line and headers sent one byte at a time (the same, before the body).

Requests are recorded in ``requests`` (path, JSON body, Authorization header). Every wait is bounded,
so the server stops by itself, and it only listens on the loopback address.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_ANSWER = "{'x_min': 1, 'y_min': 2, 'x_max': 3, 'y_max': 4}"


class FakeOpenAI:
    """A chat-completions server on 127.0.0.1 that fails on cue (see the module docstring for the steps)."""

    def __init__(self, script: list[str], answer: str = DEFAULT_ANSWER, delay: float = 1.5,
                 drip_interval: float = 0.2, drip_limit: float = 20.0):
        self.script, self.answer, self.delay = list(script), answer, delay
        self.drip_interval, self.drip_limit = drip_interval, drip_limit
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake.lock:
                    fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                    step = fake.script.pop(0) if fake.script else "ok"
                if step == "timeout":
                    time.sleep(fake.delay)  # longer than the client's timeout
                    self.close_connection = True
                    return
                if step in ("500", "503", "429", "400", "401"):
                    return self._send(int(step), json.dumps(
                        {"error": {"message": f"injected {step}", "type": "server_error"}}).encode())
                reply = json.dumps(fake.completion(body["model"])).encode()
                if step == "html200":
                    return self._send(200, b"<html><body><h1>Welcome to nginx!</h1></body></html>", "text/html")
                if step == "empty_choices":
                    return self._send(200, json.dumps({**fake.completion(body["model"]), "choices": []}).encode())
                if step == "truncated":
                    return self._send(200, reply[: len(reply) // 2])
                if step == "drip":
                    return self._send(200, reply, drip_body=True)
                if step == "slow_headers":
                    return self._send(200, reply, drip_head=True)
                self._send(200, reply)

            def _send(self, code, data: bytes, content_type="application/json", drip_body=False, drip_head=False):
                head = (f"HTTP/1.1 {code} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(data)}\r\n"
                        f"Connection: close\r\n\r\n").encode()
                self.close_connection = True
                try:
                    self._write(head, drip_head)
                    self._write(data, drip_body)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass  # the client gave up: what a bounded request must do

            def _write(self, data: bytes, drip: bool):
                if not drip:
                    self.wfile.write(data)
                    self.wfile.flush()
                    return
                end = time.monotonic() + fake.drip_limit
                for i in range(len(data)):
                    if time.monotonic() > end:
                        return
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    time.sleep(fake.drip_interval)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def completion(self, model: str) -> dict:
        """A valid chat completion answering :attr:`answer`."""
        return {"id": "x", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": self.answer}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
