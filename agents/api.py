"""``OpenAIAgent``: any OpenAI-compatible chat endpoint (vLLM, SGLang, Ollama, hosted APIs)."""

from __future__ import annotations

import base64
import email.utils
import io
import json
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

import numpy as np

from .base import AgentError, BaseAgent, BatchError, limit_pixels, observation_images


def png_data_url(image: np.ndarray) -> str:
    """A uint8 (H, W, 3) image as a ``data:image/png;base64,...`` URL."""
    import imageio.v3 as iio

    buf = io.BytesIO()
    iio.imwrite(buf, np.asarray(image, np.uint8), extension=".png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class _Retryable(Exception):
    """An attempt failed in a way another attempt may not (timeouts, dropped connections, 408/409/429/5xx)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def _snippet(text: str, limit: int = 200) -> str:
    """The start of a response body on one line, for error messages."""
    text = " ".join(str(text).split())
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def _retry_after(headers) -> float | None:
    """Seconds a ``Retry-After`` header asks for (a number or an HTTP date), None without one."""
    value = headers.get("retry-after") if headers is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None  # neither seconds nor a date: back off as usual


class OpenAIAgent(BaseAgent):
    """A model behind an OpenAI-compatible ``/chat/completions`` endpoint; images go as base64 PNG data URLs.

    Uses the ``openai`` client (extra ``api``) for one attempt at a time and retries by itself: on
    timeouts, connection errors and HTTP 408/409/429/5xx, backing off exponentially with jitter (and
    honouring ``Retry-After``, up to a minute). ``timeout`` bounds each attempt as a whole, not each read,
    so a server that sends a byte now and then cannot hold a question. A response that is not a chat
    completion (an HTML page, truncated JSON, no ``choices``) and 4xx refusals are not retried. Every
    failure ends in an :class:`AgentError` naming the model, the endpoint, the status and the start of
    the body; the evaluation harness records it and goes on.

    Args:
        model: the served model name.
        base_url: the endpoint (``http://localhost:8000/v1`` for vLLM); None: the client's default / env.
        api_key: the key; None reads the variable ``api_key_env`` (``OPENAI_API_KEY``) and fails when it is
            unset. A local server that takes no key: ``api_key: EMPTY``.
        system_prompt: an extra system message.
        max_tokens / temperature / top_p / seed: sampling (temperature 0 = greedy where the server supports it).
        timeout: seconds per attempt, whole; max_retries: retries after the first attempt.
        concurrency: requests in flight during :meth:`act_batch`.
        max_pixels: shrink images to at most this many pixels before encoding.
        image_detail: the ``detail`` field of each image (``"auto"``, ``"low"``, ``"high"``; None omits it).
        extra_body: extra JSON fields for the server (e.g. vLLM's ``{"top_k": 1}``).
    """

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None, *,
                 api_key_env: str = "OPENAI_API_KEY", system_prompt: str | None = None, max_tokens: int = 256,
                 temperature: float = 0.0, top_p: float | None = None, seed: int | None = None,
                 timeout: float = 60.0, max_retries: int = 3, concurrency: int = 4,
                 max_pixels: int | None = None, image_detail: str | None = None, extra_body: dict | None = None):
        try:
            import openai
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError("OpenAIAgent needs the openai package: pip install 'spatial-env[api]'") from exc
        self.model, self.base_url = model, base_url
        self.system_prompt, self.max_tokens = system_prompt, int(max_tokens)
        self.temperature, self.top_p, self.seed = temperature, top_p, seed
        self.timeout, self.max_retries = float(timeout), max(0, int(max_retries))
        self.concurrency, self.max_pixels = max(1, int(concurrency)), max_pixels
        self.image_detail, self.extra_body = image_detail, dict(extra_body or {})
        self.api_key_env = api_key_env
        key = api_key if api_key is not None else os.environ.get(api_key_env)
        if not key:
            raise AgentError(f"{model}: no API key: set the environment variable {api_key_env} "
                             f"(for a local server that takes no key, set api_key: EMPTY in the agent YAML)")
        self._openai, self._api_key = openai, key
        self._idle: list = []  # clients not in use (each keeps its connections alive between requests)
        self._lock = threading.Lock()
        self.client = self._new_client()
        self._idle.append(self.client)

    @property
    def endpoint(self) -> str:
        """The endpoint, for messages."""
        return self.base_url or "the default endpoint"

    def _new_client(self):
        # The client makes one attempt (max_retries=0): act() retries itself, each attempt bounded whole.
        return self._openai.OpenAI(base_url=self.base_url, api_key=self._api_key, timeout=self.timeout,
                                   max_retries=0)

    def messages(self, observation: dict) -> list[dict]:
        """The chat: optional system message, then one user turn with every image (in order) and the prompt."""
        content: list[dict[str, Any]] = []
        for img in observation_images(observation):
            url: dict[str, Any] = {"url": png_data_url(limit_pixels(img, self.max_pixels))}
            if self.image_detail:
                url["detail"] = self.image_detail
            content.append({"type": "image_url", "image_url": url})
        content.append({"type": "text", "text": observation["prompt"]})
        msgs = [{"role": "user", "content": content}]
        if self.system_prompt:
            msgs.insert(0, {"role": "system", "content": self.system_prompt})
        return msgs

    def act(self, observation: dict, info: dict | None = None) -> str:
        """The endpoint's answer to one observation (raises :class:`AgentError` when there is none)."""
        kwargs: dict[str, Any] = {"model": self.model, "messages": self.messages(observation),
                                  "max_tokens": self.max_tokens, "temperature": self.temperature}
        if self.top_p is not None:
            kwargs["top_p"] = self.top_p
        if self.seed is not None:
            kwargs["seed"] = self.seed
        if self.extra_body:
            kwargs["extra_body"] = self.extra_body
        last: _Retryable | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                wait = min(8.0, 0.5 * 2 ** (attempt - 1)) * (1 + 0.25 * random.random())
                time.sleep(min(60.0, last.retry_after) if last.retry_after is not None else wait)
            try:
                return self._attempt(kwargs)
            except _Retryable as exc:
                last = exc
        raise AgentError(f"{self.model} at {self.endpoint}: no answer after {self.max_retries + 1} attempts "
                         f"(timeout {self.timeout:g}s each); last error: {last}")

    def _attempt(self, kwargs: dict) -> str:
        """One request, bounded by ``timeout`` as a whole; the answer text."""
        with self._lock:
            client = self._idle.pop() if self._idle else self._new_client()
        box: dict[str, Any] = {}

        def request():
            try:
                box["raw"] = client.chat.completions.with_raw_response.create(**kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                box["error"] = exc

        worker = threading.Thread(target=request, daemon=True, name="openai-request")
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            # Closing the client drops its connection, so the stalled request ends instead of lingering;
            # in a thread of its own, as closing may wait for that connection.
            threading.Thread(target=client.close, daemon=True).start()
            raise _Retryable(f"no complete response within {self.timeout:g}s")
        with self._lock:
            self._idle.append(client)
        if "error" in box:
            raise self._classify(box["error"])
        raw = box["raw"]
        return self._content(raw.status_code, raw.http_response.text)

    def _classify(self, exc: BaseException) -> BaseException:
        """The exception one failed attempt stands for: retryable, or a final :class:`AgentError`."""
        err = self._openai
        if isinstance(exc, err.APIStatusError):
            status = exc.status_code
            body = _snippet(getattr(exc.response, "text", "") or str(exc))
            if status in (408, 409, 429) or status >= 500:
                return _Retryable(f"HTTP {status}: {body}", _retry_after(getattr(exc.response, "headers", None)))
            # Other 4xx: retrying would not help.
            return AgentError(f"{self.model} at {self.endpoint}: the server refused the request (HTTP {status}): "
                              f"{body}")
        if isinstance(exc, (err.APITimeoutError, err.APIConnectionError)):
            return _Retryable(f"{type(exc).__name__}: {exc}")
        if isinstance(exc, Exception):
            return AgentError(f"{self.model} at {self.endpoint}: the request failed: {type(exc).__name__}: {exc}")
        return exc  # KeyboardInterrupt and the like stop the run

    def _content(self, status: int, body: str) -> str:
        """The answer text of a chat completion body (an :class:`AgentError` when it is not one)."""
        where = f"{self.model} at {self.endpoint}: HTTP {status}"
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise AgentError(f"{where}, but the body is not JSON ({exc}): {_snippet(body)}") from None
        choices = data.get("choices") if isinstance(data, dict) else None
        if not isinstance(choices, list) or not choices:
            raise AgentError(f"{where}, but the response has no choices: {_snippet(body)}")
        message = choices[0].get("message") if isinstance(choices[0], dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):  # content parts: the text ones, in order
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if content is not None and not isinstance(content, str):
            raise AgentError(f"{where}, but the message content is {type(content).__name__}: {_snippet(body)}")
        return (content or "").strip()

    def act_batch(self, observations: Sequence[dict], infos: Sequence[dict] | None = None) -> list[str]:
        """Answers for several observations, up to ``concurrency`` requests at a time, in order.

        When some fail, a :class:`BatchError` carries the answers of the others with the failures."""
        results: list = []
        if self.concurrency == 1 or len(observations) <= 1:
            for obs in observations:
                try:
                    results.append(self.act(obs))
                except AgentError as exc:
                    results.append(exc)
        else:
            with ThreadPoolExecutor(self.concurrency) as pool:
                futures = [pool.submit(self.act, obs) for obs in observations]
                for future in futures:
                    try:
                        results.append(future.result())
                    except AgentError as exc:
                        results.append(exc)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise BatchError(f"{len(failed)} of {len(results)} requests got no answer; the first: {failed[0]}",
                             results)
        return results

    def describe(self) -> dict:
        """The settings that shape the answers (never the key)."""
        return {"class": type(self).__name__, "model": self.model, "base_url": self.base_url,
                "system_prompt": self.system_prompt, "max_tokens": self.max_tokens, "temperature": self.temperature,
                "top_p": self.top_p, "seed": self.seed, "max_pixels": self.max_pixels,
                "image_detail": self.image_detail, "extra_body": self.extra_body, "timeout": self.timeout,
                "max_retries": self.max_retries, "concurrency": self.concurrency}

    def __repr__(self) -> str:
        return f"OpenAIAgent({self.model!r}, base_url={self.base_url!r})"
