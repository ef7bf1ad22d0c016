"""``OpenAIAgent``: any OpenAI-compatible chat endpoint (vLLM, SGLang, Ollama, hosted APIs)."""

from __future__ import annotations

import base64
import io
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

import numpy as np

from .base import AgentError, BaseAgent, limit_pixels, observation_images


def png_data_url(image: np.ndarray) -> str:
    """A uint8 (H, W, 3) image as a ``data:image/png;base64,...`` URL."""
    import imageio.v3 as iio

    buf = io.BytesIO()
    iio.imwrite(buf, np.asarray(image, np.uint8), extension=".png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class OpenAIAgent(BaseAgent):
    """A model behind an OpenAI-compatible ``/chat/completions`` endpoint; images go as base64 PNG data URLs.

    Uses the ``openai`` client (extra ``api``), whose retries back off exponentially with jitter (honouring
    ``Retry-After``) on 408/409/429/5xx and connection errors/timeouts. After the last retry an
    :class:`AgentError` names the model, the endpoint, the number of attempts and the last error.

    Args:
        model: the served model name.
        base_url: the endpoint (``http://localhost:8000/v1`` for vLLM); None: the client's default / env.
        api_key: the key; None reads ``api_key_env`` (``OPENAI_API_KEY``), falling back to ``"EMPTY"``.
        system_prompt: an extra system message.
        max_tokens / temperature / top_p / seed: sampling (temperature 0 = greedy where the server supports it).
        timeout: seconds per request; max_retries: retries after the first attempt.
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
        self.timeout, self.max_retries = float(timeout), int(max_retries)
        self.concurrency, self.max_pixels = max(1, int(concurrency)), max_pixels
        self.image_detail, self.extra_body = image_detail, dict(extra_body or {})
        key = api_key if api_key is not None else os.environ.get(api_key_env, "EMPTY")
        self._openai = openai
        self.client = openai.OpenAI(base_url=base_url, api_key=key, timeout=self.timeout,
                                    max_retries=self.max_retries)

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
        """The endpoint's answer to one observation (raises :class:`AgentError` after the last retry)."""
        kwargs: dict[str, Any] = {"model": self.model, "messages": self.messages(observation),
                                  "max_tokens": self.max_tokens, "temperature": self.temperature}
        if self.top_p is not None:
            kwargs["top_p"] = self.top_p
        if self.seed is not None:
            kwargs["seed"] = self.seed
        if self.extra_body:
            kwargs["extra_body"] = self.extra_body
        err = self._openai
        try:
            response = self.client.chat.completions.create(**kwargs)
        except (err.APIConnectionError, err.RateLimitError, err.InternalServerError) as exc:
            raise AgentError(f"{self.model} at {self.base_url or 'the default endpoint'}: no answer after "
                             f"{self.max_retries + 1} attempts (timeout {self.timeout:g}s each); "
                             f"last error: {type(exc).__name__}: {exc}") from exc
        except err.APIStatusError as exc:  # 4xx other than 429: retrying would not help
            raise AgentError(f"{self.model} at {self.base_url or 'the default endpoint'}: the server refused "
                             f"the request (HTTP {exc.status_code}): {exc}") from exc
        return (response.choices[0].message.content or "").strip()

    def act_batch(self, observations: Sequence[dict], infos: Sequence[dict] | None = None) -> list[str]:
        """Answers for several observations, up to ``concurrency`` requests at a time, in order."""
        if self.concurrency == 1 or len(observations) <= 1:
            return [self.act(obs) for obs in observations]
        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(self.act, observations))

    def __repr__(self) -> str:
        return f"OpenAIAgent({self.model!r}, base_url={self.base_url!r})"
