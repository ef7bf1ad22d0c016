"""Checks every task family's environment must pass (in the spirit of scikit-learn's estimator checks).

A new task family is covered by adding one line to ``CASES``.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spatial_env  # noqa: F401
from conftest import make_test_room

# (env id, extra gym.make kwargs)
CASES = [
    ("Rep2D-Bbox-v0", {}),
    ("Rep2D-Bbox-v0", {"include_invisible": True, "annotate_context": "both"}),
    ("Rep2D-Exposure-v0", {}),
    ("Rep2D-Exposure-v0", {"include_invisible": True, "annotate_context": "draw"}),
    ("Rep2D-CameraPose-v0", {}),
    ("Rep2D-CameraPose-v0", {"include_invisible": True, "questions_per_episode": 3}),
]
IDS = [f"{e}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for e, kw in CASES]
SMALL = {"resolution": 48, "num_views": 3,
         "sampler": {"views_visible": 4, "views_invisible": 2, "min_visible_fraction": 0.01, "max_tries": 300}}


def make(env_id: str, cache: str, **kwargs):
    """A small, fast env of ``env_id`` on the test room."""
    return gym.make(env_id, scenes=[make_test_room()], cache_dir=cache, progress=False, **{**SMALL, **kwargs})


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=IDS)
def test_check_env(env_id, kwargs, bank_cache):
    env = make(env_id, bank_cache, **kwargs)
    check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=IDS)
def test_same_seed_same_episode(env_id, kwargs, bank_cache):
    a, b = make(env_id, bank_cache, **kwargs), make(env_id, bank_cache, **kwargs)
    for seed in (0, 1, 7):
        (oa, ia), (ob, ib) = a.reset(seed=seed), b.reset(seed=seed)
        assert oa["images"].tobytes() == ob["images"].tobytes()
        assert oa["prompt"] == ob["prompt"] and ia == ib
        sa, sb = a.step("nonsense"), b.step("nonsense")
        assert sa[1:4] == sb[1:4] and sa[4] == sb[4]


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=IDS)
def test_oracle_scores_the_maximum(env_id, kwargs, bank_cache):
    env = make(env_id, bank_cache, **kwargs)
    best = env.unwrapped.task.best_reward
    for seed in range(5):
        _, info = env.reset(seed=seed)
        answer, terminated = info["answer"], False
        while not terminated:
            _, reward, terminated, _, info = env.step(answer)
            assert info["parse_ok"], info
            assert reward == pytest.approx(best, abs=1e-12), info
            answer = info.get("next_answer")


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=IDS)
def test_garbage_scores_the_worst_and_is_counted(env_id, kwargs, bank_cache):
    env = make(env_id, bank_cache, **kwargs)
    _, info = env.reset(seed=3)
    _, reward, _, _, info = env.step("I cannot tell from these images.")
    assert info["parse_ok"] is False and info["prediction"] is None and info["parse_error"]
    worst = {"iou": 0.0, "squared_error": -1.0, "l2_error": -info["target"].get("max_error", 0.0)}
    assert reward == worst[env.unwrapped.task.metric]


@pytest.mark.parametrize("env_id", sorted({c[0] for c in CASES}))
def test_any_string_never_raises(env_id, bank_cache):
    env = make(env_id, bank_cache)
    env.reset(seed=0)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.text(max_size=300) | st.from_regex(r"[\[\]{}()'\"0-9.,:% xyz_a-z-]{0,60}", fullmatch=True))
    def answer(text):
        _, reward, _, _, info = env.step(text)
        assert np.isfinite(reward) and isinstance(info["parse_ok"], bool)
        env.reset()

    answer()


@pytest.mark.parametrize("env_id", sorted({c[0] for c in CASES}))
@pytest.mark.parametrize("vector", [gym.vector.SyncVectorEnv, gym.vector.AsyncVectorEnv])
def test_vector_envs_step(env_id, vector, bank_cache):
    make(env_id, bank_cache).reset(seed=0)  # build the bank once, before workers race for it
    envs = vector([lambda: make(env_id, bank_cache) for _ in range(4)])
    try:
        obs, infos = envs.reset(seed=11)
        assert obs["images"].shape == (4, 3, 48, 48, 3) and len(obs["prompt"]) == 4
        best = envs.get_attr("task")[0].best_reward
        obs, rewards, terminated, _, infos = envs.step(list(infos["answer"]))
        assert rewards.shape == (4,) and terminated.all()
        np.testing.assert_allclose(rewards, best, atol=1e-12)
        obs, rewards, terminated, _, infos = envs.step(["?"] * 4)  # the autoreset step
        assert obs["images"].shape == (4, 3, 48, 48, 3) and not terminated.any()
    finally:
        envs.close()
