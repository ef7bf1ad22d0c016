"""Env-driven RL: a VLM policy acting in the Gymnasium env itself, trained by REINFORCE on ``env.step``'s reward.

Each sub-env of a ``gymnasium`` vector env is one chat. An episode of ``questions_per_episode`` questions is a
multi-turn conversation: every question is a user turn (its images, then its prompt), every answer the
policy's assistant turn, and the env's ``step`` scores it. The update is REINFORCE with a per-question batch
baseline: ``loss = -mean(A * log pi(answer | chat so far))``, where ``A`` is the (optionally discounted)
return minus the batch mean at that question, scaled by the batch std. ``info["parse_ok"]`` can add a format
bonus (``format_weight``), and is logged.

Why not TRL's hooks (trl 1.16): ``GRPOTrainer(environment_factory=...)`` exposes an environment as *tools* the
model must call in its chat template's tool-call syntax (Qwen2.5-VL's template has none), and
``rollout_func`` returns token ids whose training forward pass sees only the dataset row's images, so a
later question's images cannot enter the conversation. Single-question GRPO needs neither:
:func:`spatial_env.rl.env_reward` on :func:`spatial_env.rl.build_dataset` rows *is* ``env.step``'s reward.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np


@dataclass
class Chat:
    """One conversation: chat-template messages and the images their placeholders stand for, in order."""

    messages: list[dict] = field(default_factory=list)
    images: list = field(default_factory=list)


@dataclass
class Turn:
    """One sampled answer: the prompt text it was sampled from, its images and the sampled token ids."""

    prompt: str
    images: list
    completion_ids: list[int]
    text: str


def _eos_ids(model, tokenizer) -> set[int]:
    eos = getattr(model.generation_config, "eos_token_id", None)
    ids = set(eos if isinstance(eos, (list, tuple)) else [eos] if eos is not None else [])
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    return ids


def _vision_token_ids(model) -> list[int]:
    """Image / video placeholder token ids: a sampled one would not match any image features."""
    ids = set()
    for config in (model.config, getattr(model.config, "text_config", None)):
        for name in ("image_token_id", "image_token_index", "video_token_id", "video_token_index"):
            value = getattr(config, name, None)
            if isinstance(value, int) and value >= 0:
                ids.add(value)
    return sorted(ids)


class VLMPolicy:
    """A Hugging Face VLM as a policy over chats: samples answers and scores their log-probabilities.

    ``model`` may be a peft model (LoRA); ``processor`` is its processor (:func:`spatial_env.rl.load_vlm`).
    Sampling uses ``temperature``/``top_p`` and never emits an image or video placeholder token (as TRL's GRPO);
    log-probabilities use the same temperature and the same suppression, so they are the log-probabilities of
    the distribution sampled from (exactly so for ``top_p=1``)."""

    def __init__(self, model, processor, *, max_new_tokens: int = 32, temperature: float = 1.0, top_p: float = 1.0,
                 max_pixels: int | None = None, system_prompt: str | None = None):
        self.model, self.processor = model, processor
        self.max_new_tokens, self.temperature, self.top_p = int(max_new_tokens), float(temperature), float(top_p)
        self.max_pixels, self.system_prompt = max_pixels, system_prompt
        self.tokenizer = processor.tokenizer
        self.tokenizer.padding_side = "left"  # batched generation aligns prompts at the right end
        self._eos = _eos_ids(model, self.tokenizer)
        self._suppressed = _vision_token_ids(model)
        params = inspect.signature(model.forward).parameters
        self._keep_logits = "logits_to_keep" in params or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())

    def new_chat(self) -> Chat:
        """An empty chat (with the system prompt, if any)."""
        chat = Chat()
        if self.system_prompt:
            chat.messages.append({"role": "system", "content": [{"type": "text", "text": self.system_prompt}]})
        return chat

    def add_question(self, chat: Chat, images: np.ndarray, prompt: str) -> None:
        """Append a user turn: every image of the observation in order, then its prompt."""
        from PIL import Image

        from spatial_env.agents.base import limit_pixels

        from .data import user_message

        chat.messages.append(user_message(prompt, len(images)))
        chat.images.extend(Image.fromarray(limit_pixels(np.asarray(img), self.max_pixels)) for img in images)

    @staticmethod
    def add_answer(chat: Chat, text: str) -> None:
        """Append the assistant turn that answered the last question."""
        chat.messages.append({"role": "assistant", "content": [{"type": "text", "text": text}]})

    def _inputs(self, prompts: list[str], images: list[list]):
        inputs = self.processor(text=prompts, images=images, padding=True, return_tensors="pt")
        if "token_type_ids" in inputs and "token_type_ids" not in inspect.signature(self.model.forward).parameters:
            inputs.pop("token_type_ids")
        return inputs.to(self.model.device)

    def generate(self, chats: Sequence[Chat]) -> list[Turn]:
        """Sample one answer per chat (the chats are not changed)."""
        import torch

        prompts = [self.processor.apply_chat_template(c.messages, tokenize=False, add_generation_prompt=True)
                   for c in chats]
        images = [list(c.images) for c in chats]
        inputs = self._inputs(prompts, images)
        pad = self.tokenizer.pad_token_id
        # Every sampling knob explicit: checkpoints' generation configs (top_k, repetition penalty) reshape sampling.
        with torch.no_grad():
            out = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=True,
                                      temperature=self.temperature, top_p=self.top_p, top_k=0, repetition_penalty=1.0,
                                      suppress_tokens=self._suppressed or None, pad_token_id=pad)
        turns = []
        for prompt, imgs, row in zip(prompts, images, out[:, inputs["input_ids"].shape[1]:].tolist()):
            ids = []
            for token in row:  # up to and including the first end-of-sequence token
                ids.append(token)
                if token in self._eos:
                    break
            text = self.tokenizer.decode(ids, skip_special_tokens=True).strip()
            turns.append(Turn(prompt, imgs, ids, text))
        return turns

    def log_probs(self, turns: Sequence[Turn]):
        """Sum of log-probabilities of each turn's sampled tokens given its prompt (a tensor with grad)."""
        import torch

        inputs = self._inputs([t.prompt for t in turns], [t.images for t in turns])
        width = max(len(t.completion_ids) for t in turns)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        completion = torch.full((len(turns), width), pad, dtype=torch.long)
        mask = torch.zeros((len(turns), width), dtype=torch.long)
        for i, t in enumerate(turns):
            completion[i, :len(t.completion_ids)] = torch.tensor(t.completion_ids)
            mask[i, :len(t.completion_ids)] = 1
        completion, mask = completion.to(self.model.device), mask.to(self.model.device)
        prompt_ids = inputs["input_ids"]
        feed = dict(inputs)
        feed["input_ids"] = torch.cat([prompt_ids, completion], dim=1)
        feed["attention_mask"] = torch.cat([inputs["attention_mask"], mask], dim=1)
        for key, value in inputs.items():
            # Per-token side inputs (token type ids) continue over the answer as text tokens.
            token_aligned = torch.is_tensor(value) and value.shape == prompt_ids.shape
            if key not in ("input_ids", "attention_mask") and token_aligned:
                feed[key] = torch.cat([value, torch.zeros_like(completion, dtype=value.dtype)], dim=1)
        if self._keep_logits:
            feed["logits_to_keep"] = width + 1  # only the logits that predict the answer tokens
        logits = self.model(**feed).logits[:, -(width + 1):-1].float() / self.temperature
        if self._suppressed:
            logits[..., self._suppressed] = float("-inf")
        token_logp = torch.log_softmax(logits, dim=-1).gather(-1, completion.unsqueeze(-1)).squeeze(-1)
        return torch.where(mask.bool(), token_logp, torch.zeros_like(token_logp)).sum(dim=1)  # padding: no NaN


def make_vector_env(env_id: str, num_envs: int, *, mode: str = "sync", **env_kwargs: Any):
    """``num_envs`` copies of ``env_id`` as one Gymnasium vector env.

    ``mode="sync"``: one process (``gymnasium.make_vec(..., vectorization_mode="sync")``), so frame banks load
    once per sub-env and nothing is pickled. ``mode="async"``: one worker process per sub-env, started with
    ``spawn``, so banks that are not complete fill in parallel; a forked worker could not render with the gl
    backend once this process had opened its EGL display, nor with numba's threads once they had started."""
    import gymnasium as gym

    import spatial_env  # noqa: F401  (registers the env ids)

    kwargs = {"progress": False, **env_kwargs}
    if mode == "sync":
        return gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="sync", **kwargs)
    if mode == "async":
        return gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="async",
                            vector_kwargs={"context": "spawn"}, **kwargs)
    raise ValueError(f"mode must be 'sync' or 'async', got {mode!r}")


def _flag(infos: dict, key: str, n: int) -> np.ndarray:
    values = np.asarray(infos.get(key, np.zeros(n)), dtype=float)
    present = np.asarray(infos.get(f"_{key}", np.ones(n, bool)), dtype=bool)
    return np.where(present, values, 0.0)


def reinforce(policy: VLMPolicy, envs, *, iterations: int, optimizer, seed: int = 0, gamma: float = 0.0,
              env_weight: float = 1.0, format_weight: float = 0.0, scale_by_std: bool = True,
              callback: Callable[[dict], None] | None = None) -> list[dict]:
    """Train ``policy`` for ``iterations`` batches of episodes of the vector env ``envs``; one update per batch.

    Sub-env ``i`` of iteration ``it`` is reset with ``episode_seed(seed, it * num_envs + i)``. The reward of an
    answer is ``env_weight`` times ``env.step``'s reward plus ``format_weight * info["parse_ok"]``; ``gamma``
    discounts later questions' rewards into earlier answers' returns (0: each answer is credited with its own
    reward, right for these envs, whose later questions do not depend on earlier answers). Returns one dict per
    iteration: ``iteration``, ``reward`` (mean env reward), ``parse_rate``, ``return`` (mean shaped return),
    ``loss``, ``answer_tokens`` (mean sampled length), ``questions``."""
    import torch

    from ..evaluation import episode_seed

    n = envs.num_envs
    torch.manual_seed(seed)
    history = []
    for it in range(int(iterations)):
        obs, _ = envs.reset(seed=[episode_seed(seed, it * n + i) for i in range(n)])
        chats = [policy.new_chat() for _ in range(n)]
        steps: list[tuple[list[Turn], np.ndarray, np.ndarray]] = []
        policy.model.eval()  # no dropout: the policy scored is the policy sampled
        while True:
            for i, chat in enumerate(chats):
                images = obs["images"][i] if "num_images" not in obs else obs["images"][i][:int(obs["num_images"][i])]
                policy.add_question(chat, images, obs["prompt"][i])
            turns = policy.generate(chats)
            obs, rewards, terminated, truncated, infos = envs.step(tuple(t.text for t in turns))
            steps.append((turns, np.asarray(rewards, float), _flag(infos, "parse_ok", n)))
            for chat, turn in zip(chats, turns):
                policy.add_answer(chat, turn.text)
            done = np.asarray(terminated) | np.asarray(truncated)
            if done.all():
                break
            if done.any():
                raise RuntimeError("sub-envs finished at different questions; reinforce needs a fixed episode length")
        shaped = np.stack([env_weight * r + format_weight * ok for _, r, ok in steps])  # (questions, envs)
        returns = shaped.copy()
        for t in range(len(steps) - 2, -1, -1):
            returns[t] += gamma * returns[t + 1]
        advantages = returns - returns.mean(axis=1, keepdims=True)
        if scale_by_std:
            advantages /= returns.std(axis=1, keepdims=True) + 1e-4
        optimizer.zero_grad(set_to_none=True)
        total = 0.0
        for (turns, _, _), adv in zip(steps, advantages):
            if not np.any(adv):
                continue  # no signal at this question: skip the forward pass
            logp = policy.log_probs(turns)
            loss = -(torch.as_tensor(adv, dtype=logp.dtype, device=logp.device) * logp).sum() / shaped.size
            loss.backward()  # one question at a time: a long chat never holds two graphs
            total += float(loss.detach())
        optimizer.step()
        stats = {"iteration": it, "reward": float(np.mean([r for _, r, _ in steps])),
                 "parse_rate": float(np.mean([ok for _, _, ok in steps])), "return": float(returns[0].mean()),
                 "loss": total, "answer_tokens": float(np.mean([len(t.completion_ids) for ts, _, _ in steps
                                                                 for t in ts])),
                 "questions": len(steps) * n}
        history.append(stats)
        if callback is not None:
            callback(stats)
    return history
