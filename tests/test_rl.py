"""spatial_env.rl: datasets, TRL rewards (parity with env.step), real GRPO / SFT steps, LLaVA export, REINFORCE loop.

Everything runs offline on the test room and tiny random VLMs (tests/tiny_vlm.py); trainers take 1-2 steps.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"  # never download in tests
pytest.importorskip("datasets")
pytest.importorskip("PIL")

import gymnasium as gym  # noqa: E402

import spatial_env  # noqa: E402, F401
from conftest import make_test_room  # noqa: E402
from spatial_env.evaluation import episode_seed  # noqa: E402
from spatial_env.rl import (build_dataset, build_sft_dataset, env_reward, export_llava, format_reward,  # noqa: E402
                            question_rows, scene_split, split_by_scene)
from spatial_env.tasks import env_specs, families, family_of, get_task  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# transformers 5 deprecations that TRL 1.16's own calls trigger; nothing to act on here.
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated and will be removed in v6:FutureWarning")
# Every registered env id with its defaults, plus the extra cases its family lists (as the conformance suite).
CASES = [(env_id, {}) for env_id in sorted(env_specs())] + [c for f in families().values() for c in f.test_cases]
IDS = [f"{e}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for e, kw in CASES]


def env_kwargs(env_id: str, cache: str, **kwargs) -> dict:
    """gym.make keywords of a small, fast env of ``env_id`` on the test room."""
    return {"scenes": [make_test_room()], "cache_dir": cache, "progress": False,
            **family_of(env_id).test_kwargs, **kwargs}


def pixels(images) -> list[np.ndarray]:
    return [np.asarray(im.convert("RGB")) for im in images]


def same_rows(a, b) -> bool:
    """Two datasets (or row lists) hold the same rows, images compared pixel by pixel."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if {k: v for k, v in x.items() if k != "images"} != {k: v for k, v in y.items() if k != "images"}:
            return False
        if not all(np.array_equal(p, q) for p, q in zip(pixels(x["images"]), pixels(y["images"]))):
            return False
    return True


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny models gain nothing from a second thread, and on a busy 2-core machine it costs up to 10x."""
    try:
        import torch
    except ImportError:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def ds_cache(tmp_path_factory) -> str:
    """Where this module's datasets write their Arrow files (never the user's datasets cache)."""
    return str(tmp_path_factory.mktemp("hf_datasets"))


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tiny_vlm import tiny_model_dir

    return tiny_model_dir(tmp_path_factory, "qwen2_5_vl")


# ---- packaging ----------------------------------------------------------------------------------------

def test_import_spatial_env_stays_light():
    code = ("import sys, spatial_env, spatial_env.rl; "
            "heavy = [m for m in ('datasets', 'trl', 'peft', 'torch', 'transformers', 'spatial_env.rl.data') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


# ---- datasets -----------------------------------------------------------------------------------------

def test_dataset_rows_are_the_env_questions(bank_cache, ds_cache):
    kw = env_kwargs("Rep2D-Bbox-v0", bank_cache)
    ds = build_dataset("Rep2D-Bbox-v0", 5, seed=3, dataset_cache_dir=ds_cache, system_prompt="Be exact.", **kw)
    assert len(ds) == 5 and type(ds.features["images"].feature).__name__ == "Image"
    env = gym.make("Rep2D-Bbox-v0", **kw)
    for k, row in enumerate(ds):
        obs, info = env.reset(seed=episode_seed(3, k))
        system, user = row["prompt"]
        assert system == {"role": "system", "content": [{"type": "text", "text": "Be exact."}]}
        # One placeholder per image, images first in the order shown, then the env's prompt verbatim.
        assert [p["type"] for p in user["content"]] == ["image"] * len(obs["images"]) + ["text"]
        assert user["role"] == "user" and user["content"][-1]["text"] == obs["prompt"]
        assert all(np.array_equal(a, b) for a, b in zip(pixels(row["images"]), obs["images"]))
        assert json.loads(row["target"]) == info["target"] and row["answer"] == info["answer"]
        assert (row["scene_id"], row["episode_id"], row["question_type"]) == \
            (info["scene_id"], info["episode_id"], info["question_type"])
        assert (row["task"], row["env_id"], row["episode"], row["seed"]) == \
            ("rep2d_bbox", "Rep2D-Bbox-v0", k, episode_seed(3, k))
        assert json.loads(row["task_options"]) == json.loads(json.dumps(env.unwrapped.options.to_dict()))


def test_dataset_is_deterministic_whatever_the_sharding(bank_cache, ds_cache):
    kw = env_kwargs("Rep2D-CameraPose-v0", bank_cache, questions_per_episode=2)
    one = build_dataset("Rep2D-CameraPose-v0", 5, seed=0, dataset_cache_dir=ds_cache, **kw)
    assert list(one["episode"]) == [0, 0, 1, 1, 2] and list(one["question_index"]) == [0, 1, 0, 1, 0]
    sharded = build_dataset("Rep2D-CameraPose-v0", 5, seed=0, num_shards=3, dataset_cache_dir=ds_cache + "/b", **kw)
    assert same_rows(one, sharded)
    streamed = build_dataset("Rep2D-CameraPose-v0", 5, seed=0, streaming=True, num_shards=2, **kw)
    assert type(streamed).__name__ == "IterableDataset" and same_rows(one, streamed)
    assert same_rows(one, question_rows("Rep2D-CameraPose-v0", 5, seed=0, **kw))  # the plain generator
    other = build_dataset("Rep2D-CameraPose-v0", 5, seed=1, dataset_cache_dir=ds_cache, **kw)
    assert list(other["episode_id"]) != list(one["episode_id"])


def test_sft_dataset_round_trips_through_save_to_disk(bank_cache, ds_cache, tmp_path):
    from datasets import load_from_disk

    ds = build_sft_dataset("Rep2D-Exposure-v0", 3, seed=0, dataset_cache_dir=ds_cache,
                           **env_kwargs("Rep2D-Exposure-v0", bank_cache))
    for row in ds:
        assert row["completion"] == [{"role": "assistant", "content": [{"type": "text", "text": row["answer"]}]}]
    ds.save_to_disk(str(tmp_path / "saved"))
    back = load_from_disk(str(tmp_path / "saved"))
    assert back.features == ds.features and same_rows(ds, back)


def test_split_by_scene_never_shares_a_scene():
    from datasets import Dataset

    scenes = [f"room-{i}" for i in range(5)]
    ds = Dataset.from_dict({"scene_id": [scenes[i % 5] for i in range(40)], "x": list(range(40))})
    split = split_by_scene(ds, 0.4, seed=1)
    train, test = set(split["train"]["scene_id"]), set(split["test"]["scene_id"])
    assert not train & test and train | test == set(scenes) and len(test) == 2
    assert len(split["train"]) + len(split["test"]) == 40
    assert list(split_by_scene(ds, 0.4, seed=1)["test"]["x"]) == list(split["test"]["x"])  # seeded
    assert set(split_by_scene(ds, test_scenes=["room-3"])["test"]["scene_id"]) == {"room-3"}
    assert set(split_by_scene(ds, 0.99)["train"]["scene_id"])  # never an empty side
    train_specs, test_specs = scene_split(scenes, 0.2, seed=0)
    assert len(test_specs) == 1 and sorted(train_specs + test_specs) == scenes
    with pytest.raises(ValueError, match="at least 2 scenes"):
        split_by_scene(ds.filter(lambda s: s == "room-0", input_columns="scene_id"))


# ---- rewards ------------------------------------------------------------------------------------------

def _answers(row: dict, rng: np.random.Generator) -> list:
    """Oracle, near-oracle, random, chatty, garbage and non-string answers for one question."""
    task = get_task(row["task"])
    oracle = row["answer"]
    perturbed = [re.sub(r"\d", lambda m: str(rng.integers(10)), oracle) for _ in range(3)]
    randoms = [task.answers.random(rng) for _ in range(4)] if task.answers else []
    return [oracle, f"The answer is {oracle}.", *perturbed, *randoms, "", "I cannot tell.", "{'x_min': }", None]


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=IDS)
def test_trl_rewards_equal_env_step(env_id, kwargs, bank_cache, ds_cache):
    kw = env_kwargs(env_id, bank_cache, **kwargs)
    ds = build_dataset(env_id, 12, seed=5, dataset_cache_dir=ds_cache, **kw)
    env = gym.make(env_id, **kw)
    rng = np.random.default_rng(0)
    checked = 0
    for row in ds:
        columns = {k: row[k] for k in ("task", "task_options", "target")}
        answers = _answers(row, rng)
        # TRL passes a column per completion; half the completions in the conversational form.
        completions = [a if i % 2 or a is None else [{"role": "assistant", "content": a}]
                       for i, a in enumerate(answers)]
        batch = {k: [v] * len(answers) for k, v in columns.items()}
        rewards = env_reward(completions, prompts=[row["prompt"]] * len(answers), **batch)
        formats = format_reward(completions, **batch)
        for answer, reward, fmt in zip(answers, rewards, formats):
            env.reset(seed=row["seed"])
            for _ in range(row["question_index"]):  # earlier questions of the episode, answered by the oracle
                env.step(env.unwrapped.episode.answer)
            _, expected, _, _, info = env.step(answer)
            assert reward == expected, (answer, reward, expected)
            assert fmt == float(info["parse_ok"]), answer
            checked += 1
    assert checked == 12 * len(answers)
    assert max(rewards) == get_task(row["task"]).best_reward  # the oracle was among them


def test_reward_functions_explain_missing_columns():
    with pytest.raises(KeyError, match="task_options"):
        env_reward(["x"], task=["rep2d_bbox"], target=["{}"])


# ---- SFT export ---------------------------------------------------------------------------------------

def test_llava_export(bank_cache, ds_cache, tmp_path):
    ds = build_sft_dataset("Rep2D-Bbox-v0", 3, seed=0, dataset_cache_dir=ds_cache, system_prompt="Be exact.",
                           **env_kwargs("Rep2D-Bbox-v0", bank_cache))
    path = export_llava(ds, tmp_path / "llava")
    records = json.loads(path.read_text())
    assert len(records) == 3
    for rec, row in zip(records, ds):
        human, gpt = rec["conversations"]
        assert human["from"] == "human" and gpt == {"from": "gpt", "value": row["answer"]}
        n = len(row["images"])
        assert human["value"] == "<image>\n" * n + row["prompt"][-1]["content"][-1]["text"]
        assert rec["image"] == rec["images"] and len(rec["images"]) == n and rec["system"] == "Be exact."
        import imageio.v3 as iio

        for file, image in zip(rec["images"], pixels(row["images"])):
            assert np.array_equal(iio.imread(path.parent / file), image)
        assert json.loads(rec["target"]) == json.loads(row["target"]) and rec["scene_id"] == row["scene_id"]
    with pytest.raises(ValueError, match="not empty"):
        export_llava(ds, tmp_path / "llava")


# ---- trainers on a tiny random VLM --------------------------------------------------------------------

def _snapshot(model) -> dict:
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def _changed(model, before: dict) -> list[str]:
    import torch

    return [n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n])]


def test_grpo_trainer_steps_with_the_env_rewards(tiny_qwen, bank_cache, ds_cache, tmp_path):
    pytest.importorskip("trl")
    from trl import GRPOConfig, GRPOTrainer

    from spatial_env.rl import load_vlm

    # Rep2D-E: a random tiny model writes a parseable percentage now and then, so rewards vary within a group.
    ds = build_dataset("Rep2D-Exposure-v0", 8, seed=0, dataset_cache_dir=ds_cache,
                       **env_kwargs("Rep2D-Exposure-v0", bank_cache))
    model, processor = load_vlm(str(tiny_qwen), device="cpu")
    before = _snapshot(model)
    args = GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=4,
                      max_completion_length=8, max_steps=2, learning_rate=1e-2, logging_steps=1, report_to="none",
                      use_cpu=True, save_strategy="no", seed=0, disable_tqdm=True)
    trainer = GRPOTrainer(model=model, reward_funcs=[env_reward, format_reward], args=args, train_dataset=ds,
                          processing_class=processor)
    trainer.train()
    logs = [r for r in trainer.state.log_history if "rewards/env_reward/mean" in r]
    assert len(logs) == 2 and all("rewards/format_reward/mean" in r for r in logs)
    assert all(-1.0 <= r["rewards/env_reward/mean"] <= 0.0 for r in logs)  # minus a squared error
    assert any(r["reward_std"] > 0 for r in logs)
    changed = _changed(model, before)
    assert len(changed) > len(before) // 2, changed


def test_sft_trainer_steps_on_reference_answers(tiny_qwen, bank_cache, ds_cache, tmp_path):
    pytest.importorskip("trl")
    from trl import SFTConfig, SFTTrainer

    from spatial_env.rl import load_vlm

    ds = build_sft_dataset("Rep2D-Bbox-v0", 2, seed=0, dataset_cache_dir=ds_cache,
                           **env_kwargs("Rep2D-Bbox-v0", bank_cache))
    model, processor = load_vlm(str(tiny_qwen), device="cpu")
    before = _snapshot(model)
    args = SFTConfig(output_dir=str(tmp_path), per_device_train_batch_size=1, max_steps=2, learning_rate=1e-2,
                     logging_steps=1, report_to="none", use_cpu=True, save_strategy="no", seed=0, max_length=None,
                     disable_tqdm=True)
    trainer = SFTTrainer(model=model, args=args, train_dataset=ds, processing_class=processor)
    # The loss is on the reference answer only (prompt-completion data: completion-only loss).
    batch = trainer.data_collator([ds[0]])
    labels = batch["labels"][0]
    assert processor.tokenizer.decode(labels[labels != -100]).startswith(ds[0]["answer"])
    trainer.train()
    losses = [r["loss"] for r in trainer.state.log_history if "loss" in r]
    assert len(losses) == 2 and all(np.isfinite(losses))
    assert len(_changed(model, before)) > len(before) // 2


def test_grpo_example_runs_unchanged_with_a_tiny_model(tiny_qwen, bank_cache, tmp_path):
    pytest.importorskip("trl")
    pytest.importorskip("peft")
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import grpo_rep2d
    finally:
        sys.path.remove(str(ROOT / "examples"))
    small = family_of("Rep2D-Exposure-v0").test_kwargs
    argv = ["--model", str(tiny_qwen), "--cpu", "--env", "Rep2D-Exposure-v0", "--resolution", str(small["resolution"]),
            "--num-views", str(small["num_views"]), "--env-kwargs", json.dumps({"sampler": small["sampler"]}),
            "--cache-dir", bank_cache, "--train-questions", "4", "--max-steps", "1", "--batch-size", "4",
            "--num-generations", "4", "--grad-accum", "1", "--max-completion-length", "6", "--test-size", "0",
            "--output-dir", str(tmp_path / "run"), "--logging-steps", "1"]
    out = grpo_rep2d.main(argv, scenes=[make_test_room()])  # Python callers may pass Scene objects
    assert any("rewards/env_reward/mean" in r for r in out["log_history"])
    from spatial_env.agents import TransformersAgent

    agent = TransformersAgent(out["final"], max_new_tokens=3, device="cpu")  # the merged model loads for eval
    assert isinstance(agent.act({"images": np.zeros((3, 48, 48, 3), np.uint8), "prompt": "Image 3: ?"}), str)


# ---- env-driven loop ----------------------------------------------------------------------------------

def test_policy_scores_multi_turn_chats_consistently(tiny_qwen):
    import torch

    from spatial_env.rl import VLMPolicy, load_vlm

    model, processor = load_vlm(str(tiny_qwen), device="cpu")
    policy = VLMPolicy(model, processor, max_new_tokens=5)
    rng = np.random.default_rng(0)
    chats = [policy.new_chat() for _ in range(2)]
    for i, chat in enumerate(chats):
        policy.add_question(chat, rng.integers(0, 256, (2, 48, 48, 3), dtype=np.uint8), f"Image 2: ? ({i})")
        policy.add_answer(chat, "12.5")
        policy.add_question(chat, rng.integers(0, 256, (2 + i, 48, 48, 3), dtype=np.uint8), "Image 4: ?")
    torch.manual_seed(0)
    turns = policy.generate(chats)
    assert [len(t.images) for t in turns] == [4, 5]
    assert turns[0].prompt.count("<|vision_start|>") == 4 and "12.5<|im_end|>" in turns[0].prompt
    batched = policy.log_probs(turns)
    alone = torch.cat([policy.log_probs([t]) for t in turns])
    assert batched.requires_grad and torch.all(batched < 0)
    torch.testing.assert_close(batched, alone, atol=1e-4, rtol=1e-4)  # padding changes nothing


def test_reinforce_in_a_vector_env_updates_the_policy(tiny_qwen, bank_cache):
    import torch

    from spatial_env.rl import VLMPolicy, load_vlm, make_vector_env, reinforce

    model, processor = load_vlm(str(tiny_qwen), device="cpu")
    before = _snapshot(model)
    envs = make_vector_env("Rep2D-Exposure-v0", 3,
                           **env_kwargs("Rep2D-Exposure-v0", bank_cache, questions_per_episode=2))
    policy = VLMPolicy(model, processor, max_new_tokens=6)
    seen = []
    try:
        history = reinforce(policy, envs, iterations=2, optimizer=torch.optim.AdamW(model.parameters(), lr=1e-2),
                            seed=0, format_weight=0.5, callback=seen.append)
    finally:
        envs.close()
    assert history == seen and [h["questions"] for h in history] == [6, 6]
    assert all(-1.0 <= h["reward"] <= 0.0 and 0.0 <= h["parse_rate"] <= 1.0 for h in history)
    assert _changed(model, before)
