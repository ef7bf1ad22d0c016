"""Agents: scripted baselines, agent YAMLs, TransformersAgent on tiny real VLMs, OpenAIAgent on a fake server."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import threading
import time

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"  # never download in tests

from spatial_env.agents import (
    Agent,
    AgentError,
    CopyLastAgent,
    CopyLastBoxAgent,
    OracleAgent,
    PriorAgent,
    RandomAgent,
    agent_names,
    load_agent,
)
from fake_openai import FakeOpenAI
from spatial_env.tasks.rep2d.formats import BOX_RE, POSITION_RE
from spatial_env.agents.registry import agent_spec

BOX_PROMPT = (
    "You are an AI ... exactly like: {'x_min': x_min, 'y_min': y_min, 'x_max': x_max, 'y_max': y_max}.\n\n"
    "If the object is not visible in the last image, output {'x_min': 0, 'y_min': 0, 'x_max': 0, 'y_max': 0}.\n"
    "Image 1: {'x_min': 100, 'y_min': 200, 'x_max': 300, 'y_max': 400}\n"
    "Image 2: {'x_min': 110, 'y_min': 210, 'x_max': 310, 'y_max': 410}\n"
    "Image 3: ?")
EXPOSURE_PROMPT = ("Intro.\n\nImage 1: {'x_min': 1, 'y_min': 2, 'x_max': 3, 'y_max': 4}, visible: 12.5%\n"
                   "Image 2: {'x_min': 1, 'y_min': 2, 'x_max': 3, 'y_max': 4}, visible: 73.0%\nImage 3: ?")
CAMERA_PROMPT = ("Intro (x,y,z).\nPositions are (x, y, z) in metres.\nImage 1: camera position [1.00, 2.00, 1.50]\n"
                 "Image 2: camera position [2.25, 0.50, 1.40]\nImage 3: ?")


def obs(prompt: str = BOX_PROMPT, n: int = 3, size: int = 48, seed: int = 0) -> dict:
    """An observation like the env's: n random images and a prompt."""
    rng = np.random.default_rng(seed)
    return {"images": rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8), "prompt": prompt}


# ---- scripted agents --------------------------------------------------------------------------------

@pytest.mark.parametrize("task,pattern", [("Rep2D-Bbox-v0", BOX_RE), ("rep2d_camera_pose", POSITION_RE),
                                          ("Rep2D-Exposure-v0", re.compile(r"^\d+\.\d$"))])
def test_random_agent_answers_in_format_and_is_seeded(task, pattern):
    agent = RandomAgent(task, seed=3)
    answers = [agent.act(obs(seed=s)) for s in range(20)]
    assert all(pattern.fullmatch(a) for a in answers), answers
    assert len(set(answers)) > 10  # actually random
    assert answers == [RandomAgent(task, seed=3).act(obs(seed=s)) for s in range(20)]  # seeded
    assert answers != [RandomAgent(task, seed=4).act(obs(seed=s)) for s in range(20)]
    # Order- and batch-independent: what makes resumed runs exact.
    assert agent.act_batch([obs(seed=s) for s in reversed(range(20))]) == answers[::-1]


def test_random_boxes_are_valid_boxes():
    agent = RandomAgent("rep2d_bbox")
    for s in range(50):
        x0, y0, x1, y1 = map(int, BOX_RE.fullmatch(agent.act(obs(seed=s))).groups())
        assert 0 <= x0 < x1 <= 1000 and 0 <= y0 < y1 <= 1000


def test_random_agent_parses_with_the_task_parser():
    from spatial_env.parsing import ParseFailure
    from spatial_env.tasks import get_task

    for name in ("rep2d_bbox", "rep2d_exposure", "rep2d_camera_pose"):
        task = get_task(name)
        for s in range(10):
            answer = RandomAgent(name).act(obs(seed=s))
            assert not isinstance(task.parse(answer, task.options()), ParseFailure), (name, answer)


def test_copy_last_box_reads_the_last_context_line_only():
    assert CopyLastBoxAgent().act(obs()) == "{'x_min': 110, 'y_min': 210, 'x_max': 310, 'y_max': 410}"
    # One view (no context) or drawn-only context: the whole image.
    single = "Intro {'x_min': x_min}.\n\nThe object is the chair.\nImage 1: ?"
    assert CopyLastBoxAgent().act(obs(single, n=1)) == "{'x_min': 0, 'y_min': 0, 'x_max': 1000, 'y_max': 1000}"
    drawn = "Intro.\n\nImage 1: the object is marked with a green box\nImage 2: ?"
    assert CopyLastBoxAgent(fallback="none").act(obs(drawn, n=2)) == "none"
    with pytest.raises(ValueError):
        CopyLastBoxAgent("rep2d_exposure")


def test_copy_last_agent_other_tasks():
    assert CopyLastAgent("rep2d_exposure").act(obs(EXPOSURE_PROMPT)) == "73.0"
    assert CopyLastAgent("Rep2D-CameraPose-v0").act(obs(CAMERA_PROMPT)) == "[2.25, 0.50, 1.40]"


def test_prior_agent_means_and_modes():
    boxes = [{"task": "rep2d_bbox", "target": {"box": b, "visible": b is not None}, "answer": "?"}
             for b in ([0, 0, 100, 100], [100, 100, 300, 500], None)]
    assert PriorAgent().fit_infos(boxes).act(obs()) == "{'x_min': 50, 'y_min': 50, 'x_max': 200, 'y_max': 300}"
    mostly_empty = boxes[:1] + [boxes[2]] * 2
    assert PriorAgent().fit_infos(mostly_empty).act(obs()) == "{'x_min': 0, 'y_min': 0, 'x_max': 0, 'y_max': 0}"
    vis = [{"task": "rep2d_exposure", "target": {"visibility": v}, "answer": "?"} for v in (0.2, 0.4)]
    assert PriorAgent().fit_infos(vis).act(obs()) == "30.0"
    pos = [{"task": "rep2d_camera_pose", "target": {"position": p, "max_error": 9}, "answer": "?"}
           for p in ([0, 0, 1], [2, 4, 2])]
    assert PriorAgent("Rep2D-CameraPose-v0").fit_infos(pos).act(obs()) == "[1.00, 2.00, 1.50]"
    other = [{"task": "spar_count", "target": {}, "answer": a} for a in ("two", "three", "two")]
    assert PriorAgent().fit_infos(other).act(obs()) == "two"
    with pytest.raises(RuntimeError, match="not fitted"):
        PriorAgent().act(obs())


def test_oracle_needs_info():
    assert OracleAgent().act(obs(), info={"answer": "[1, 2, 3]"}) == "[1, 2, 3]"
    assert OracleAgent().act_batch([obs(), obs()], infos=[{"answer": "a"}, {"answer": "b"}]) == ["a", "b"]
    with pytest.raises(ValueError, match="info"):
        OracleAgent().act(obs())


def test_agents_follow_the_protocol():
    for agent in (RandomAgent("rep2d_bbox"), PriorAgent(answer="x"), OracleAgent(), CopyLastBoxAgent()):
        assert isinstance(agent, Agent)
        agent.reset()


# ---- agent YAMLs ------------------------------------------------------------------------------------

def test_shipped_agent_yamls_load():
    names = agent_names()
    for required in ("qwen2.5-vl-7b", "gpt-4o", "vllm-local", "random", "prior", "oracle", "copy-last-box"):
        assert required in names
    for name in names:
        spec = agent_spec(name)
        assert spec["type"] and spec.get("description")
    assert isinstance(load_agent("random", env_id="Rep2D-Bbox-v0", seed=5), RandomAgent)
    assert load_agent("random", env_id="Rep2D-Bbox-v0", seed=5).seed == 5
    assert isinstance(load_agent("oracle"), OracleAgent)
    assert isinstance(load_agent("prior"), PriorAgent)
    assert isinstance(load_agent("copy-last-box", env_id="Rep2D-Bbox-v0"), CopyLastBoxAgent)
    assert agent_spec("qwen2.5-vl-7b")["model"] == "Qwen/Qwen2.5-VL-7B-Instruct"
    with pytest.raises(ValueError, match="unknown agent"):
        load_agent("no-such-agent")


def test_agent_yaml_from_a_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("type: random\nseed: 9\ntask: rep2d_exposure\n")
    agent = load_agent(str(path))
    assert isinstance(agent, RandomAgent) and agent.seed == 9 and agent.task == "rep2d_exposure"


def test_api_agent_yamls_build_without_network():
    pytest.importorskip("openai")
    agent = load_agent("vllm-local")
    assert agent.base_url == "http://127.0.0.1:8000/v1" and agent.max_retries >= 1
    assert load_agent("gpt-4o", api_key="sk-test").model == "gpt-4o"


# ---- TransformersAgent on tiny random VLMs ------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """Paths of a tiny Qwen2.5-VL (Hub layout, no combined processor) and a tiny LLaVA."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("tokenizers")
    from tiny_vlm import tiny_model_dir

    return {"qwen": tiny_model_dir(tmp_path_factory, "qwen2_5_vl"), "llava": tiny_model_dir(tmp_path_factory, "llava")}


def _image_token_counts(agent, family: str) -> list[int]:
    ids = agent.last_inputs["input_ids"]
    tok = agent.processor.tokenizer
    token = "<|image_pad|>" if family == "qwen" else "<image>"
    return (ids == tok.convert_tokens_to_ids(token)).sum(dim=1).tolist()


def test_dtype_names_reach_from_pretrained(tiny_models):
    import torch

    from spatial_env.agents import TransformersAgent
    from spatial_env.agents.hf import dtype_kwargs

    (key,) = dtype_kwargs(None)
    assert dtype_kwargs("bfloat16") == dtype_kwargs("torch.bfloat16") == dtype_kwargs(torch.bfloat16) == {
        key: torch.bfloat16}
    assert dtype_kwargs("auto") == {key: "auto"}
    agent = TransformersAgent(str(tiny_models["qwen"]), max_new_tokens=2, dtype="bfloat16", device="cpu")
    assert agent.model.dtype == torch.bfloat16


@pytest.mark.parametrize("family,tokens_per_image", [("qwen", 4), ("llava", 4)])
def test_transformers_agent_sends_every_image(tiny_models, family, tokens_per_image):
    from spatial_env.agents import TransformersAgent

    agent = TransformersAgent(str(tiny_models[family]), max_new_tokens=6, batch_size=2, dtype="float32",
                              device="cpu", system_prompt="Answer briefly.")
    assert agent.processor.image_processor is not None
    answers = agent.act_batch([obs(n=3, seed=1), obs(n=3, seed=2), obs(n=5, seed=3)])
    assert len(answers) == 3 and all(isinstance(a, str) for a in answers)
    # The last generate call had the 5-image observation alone.
    assert _image_token_counts(agent, family) == [5 * tokens_per_image]
    answer = agent.act(obs(n=2))
    assert isinstance(answer, str) and _image_token_counts(agent, family) == [2 * tokens_per_image]
    if family == "qwen":  # one vision block per image, in order before the prompt
        text = agent.processor.tokenizer.decode(agent.last_inputs["input_ids"][0])
        assert text.count("<|vision_start|>") == 2 and text.index("<|vision_end|>") < text.index("Image 3: ?")
        assert "Answer briefly." in text
    # Greedy decoding is deterministic.
    assert agent.act(obs(n=2)) == answer


def test_transformers_agent_batches_pad_on_the_left(tiny_models):
    from spatial_env.agents import TransformersAgent

    agent = TransformersAgent(str(tiny_models["qwen"]), max_new_tokens=4, batch_size=2, device="cpu")
    short, long = obs("Image 1: ?", n=1), obs(BOX_PROMPT, n=3)
    alone = [agent.act(short), agent.act(long)]
    assert agent.act_batch([short, long]) == alone
    assert _image_token_counts(agent, "qwen") == [4, 12]


def test_transformers_agent_limits_pixels(tiny_models):
    from spatial_env.agents import TransformersAgent

    agent = TransformersAgent(str(tiny_models["qwen"]), max_new_tokens=2, device="cpu", max_pixels=56 * 56)
    agent.act(obs(n=1, size=200))
    assert _image_token_counts(agent, "qwen") == [4]  # 200x200 shrunk to 56x56 -> 2x2 merged patches


def test_a_tokenizer_only_autoprocessor_is_repaired(tiny_models, monkeypatch):
    """Older transformers without torchvision silently return only the tokenizer: the agent must notice."""
    import transformers
    from spatial_env.agents.hf import load_processor

    monkeypatch.setattr(transformers.AutoProcessor, "from_pretrained",
                        lambda path, **kw: transformers.AutoTokenizer.from_pretrained(path, **kw))
    processor = load_processor(str(tiny_models["qwen"]))
    assert processor.image_processor is not None and processor.chat_template


def test_transformers_agent_refuses_to_run_without_an_image_processor(tiny_models, tmp_path):
    import shutil

    from spatial_env.agents import TransformersAgent

    broken = tmp_path / "broken"
    shutil.copytree(tiny_models["qwen"], broken)
    cfg = json.loads((broken / "preprocessor_config.json").read_text())
    cfg.pop("processor_class")
    (broken / "preprocessor_config.json").write_text(json.dumps(cfg))
    try:
        import torchvision  # noqa: F401
    except Exception:  # noqa: BLE001 - absent or broken: the situation this test is about
        with pytest.raises(AgentError, match="without its images"):
            TransformersAgent(str(broken), device="cpu")
    else:  # pragma: no cover - with torchvision the full processor loads
        pytest.skip("torchvision present: AutoProcessor builds the full processor")


def test_transformers_agent_sampling_is_seeded(tiny_models):
    from spatial_env.agents import TransformersAgent

    agent = TransformersAgent(str(tiny_models["llava"]), max_new_tokens=8, do_sample=True, temperature=1.5,
                              seed=1, device="cpu")
    first = [agent.act(obs(n=2, seed=s)) for s in range(3)]
    agent.reset()
    assert [agent.act(obs(n=2, seed=s)) for s in range(3)] == first


# ---- OpenAIAgent on a fake OpenAI-compatible server -----------------------------------------------------

def _decode_images(content: list[dict]) -> list[np.ndarray]:
    import imageio.v3 as iio

    out = []
    for part in content:
        if part["type"] == "image_url":
            url = part["image_url"]["url"]
            assert url.startswith("data:image/png;base64,")
            out.append(iio.imread(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
    return out


def test_openai_agent_retries_a_500_and_a_timeout_then_answers():
    pytest.importorskip("openai")
    from spatial_env.agents import OpenAIAgent

    observation = obs(n=4)
    with FakeOpenAI(["500", "timeout", "ok"]) as server:
        agent = OpenAIAgent("tiny-model", base_url=server.url, api_key="sk-test", timeout=0.5, max_retries=2,
                            system_prompt="Be terse.")
        t = time.perf_counter()
        answer = agent.act(observation)
        elapsed = time.perf_counter() - t
    assert answer == server.answer
    assert len(server.requests) == 3 and elapsed < 10
    req = server.requests[-1]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer sk-test"
    messages = req["body"]["messages"]
    assert messages[0] == {"role": "system", "content": "Be terse."}
    content = messages[1]["content"]
    images = _decode_images(content)
    assert len(images) == 4
    for got, sent in zip(images, observation["images"]):  # PNG is lossless: same pixels, same order
        np.testing.assert_array_equal(got, sent)
    assert [p["type"] for p in content] == ["image_url"] * 4 + ["text"]
    assert content[-1]["text"] == observation["prompt"]


def test_openai_agent_gives_a_clear_error_after_the_last_retry():
    pytest.importorskip("openai")
    from spatial_env.agents import OpenAIAgent

    with FakeOpenAI(["500"] * 10) as server:
        agent = OpenAIAgent("tiny-model", base_url=server.url, api_key="k", timeout=2, max_retries=1)
        with pytest.raises(AgentError, match=r"tiny-model at http://127\.0\.0\.1:\d+/v1: no answer after 2 attempts"):
            agent.act(obs(n=1))
        assert len(server.requests) == 2


def test_openai_agent_retries_rate_limits():
    pytest.importorskip("openai")
    from spatial_env.agents import OpenAIAgent

    with FakeOpenAI(["429", "503", "ok"]) as server:
        agent = OpenAIAgent("m", base_url=server.url, api_key="k", max_retries=2)
        assert agent.act(obs(n=1)) == server.answer
    assert len(server.requests) == 3


def test_openai_agent_batches_keep_order():
    pytest.importorskip("openai")
    from spatial_env.agents import OpenAIAgent

    with FakeOpenAI([]) as server:
        agent = OpenAIAgent("m", base_url=server.url, api_key="k", concurrency=3, max_pixels=16 * 16)
        answers = agent.act_batch([obs(prompt=f"question {i}", n=2) for i in range(5)])
    assert answers == [server.answer] * 5
    prompts = sorted(r["body"]["messages"][0]["content"][-1]["text"] for r in server.requests)
    assert prompts == [f"question {i}" for i in range(5)]
    sent = [img for r in server.requests for img in _decode_images(r["body"]["messages"][0]["content"])]
    assert len(sent) == 10 and all(img.shape == (16, 16, 3) for img in sent)  # shrunk to max_pixels


# ---- misbehaving servers: every failure is an AgentError, in bounded time (issue 13, item 4) -------------

@pytest.mark.parametrize("step,match", [
    ("html200", r"HTTP 200, but the body is not JSON .*'<html><body><h1>Welcome to nginx!"),
    ("empty_choices", r"HTTP 200, but the response has no choices: .*\"choices\": \[\]"),
    ("truncated", r"HTTP 200, but the body is not JSON .*'\{\"id\": \"x\""),
    ("400", r"refused the request \(HTTP 400\): .*injected 400"),
])
def test_openai_agent_malformed_responses_are_agent_errors(step, match):
    pytest.importorskip("openai")
    from spatial_env.agents import OpenAIAgent

    with FakeOpenAI([step] * 3) as server:
        agent = OpenAIAgent("m", base_url=server.url, api_key="k", timeout=2, max_retries=2)
        with pytest.raises(AgentError, match=match):
            agent.act(obs(n=1))
        assert len(server.requests) == 1  # a malformed answer or a refusal is not retried


@pytest.mark.parametrize("step", ["drip", "slow_headers"])
def test_openai_agent_timeout_bounds_the_whole_request(step):
    """A server that sends a byte every 0.1 s never trips a per-read timeout; the whole attempt is bounded."""
    pytest.importorskip("openai")
    from spatial_env.agents import OpenAIAgent

    with FakeOpenAI([step] * 2 + ["ok"], drip_interval=0.1) as server:
        agent = OpenAIAgent("m", base_url=server.url, api_key="k", timeout=0.6, max_retries=1)
        t = time.perf_counter()
        with pytest.raises(AgentError, match=r"no answer after 2 attempts .*no complete response within 0\.6s"):
            agent.act(obs(n=1))
        assert time.perf_counter() - t < 0.6 * 2 + 1.5  # two attempts and one back-off, not the drip's ~40 s
        assert agent.act(obs(n=1)) == server.answer  # the client is usable afterwards
    time.sleep(0.3)
    assert not [t for t in threading.enumerate() if t.name == "openai-request"]  # stalled requests were ended


def test_openai_agent_without_a_key_fails_up_front(monkeypatch):
    pytest.importorskip("openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(AgentError, match="OPENAI_API_KEY"):
        load_agent("gpt-4o")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    assert load_agent("gpt-4o").client.api_key == "sk-from-env"


def test_openai_agent_batch_keeps_the_answers_it_got():
    """A batch with one refused request raises a BatchError that carries the other answers (already paid for)."""
    pytest.importorskip("openai")
    from spatial_env.agents import BatchError, OpenAIAgent

    with FakeOpenAI(["ok", "400", "ok"]) as server:
        agent = OpenAIAgent("m", base_url=server.url, api_key="k", concurrency=1, max_retries=0)
        with pytest.raises(BatchError, match="1 of 3 requests got no answer") as err:
            agent.act_batch([obs(prompt=f"question {i}", n=1) for i in range(3)])
    answers = err.value.results
    assert answers[0] == answers[2] == server.answer and isinstance(answers[1], AgentError)
    assert len(server.requests) == 3
