"""Checks every registered env must pass (in the spirit of scikit-learn's estimator checks).

The cases come from the registry: every env id of every discovered family with its default options,
plus the extra cases its family lists (``Family.test_cases``), run small (``Family.test_kwargs``).
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
from spatial_env.tasks import env_specs, families, family_of, get_task


def _cases() -> list[tuple[str, dict]]:
    cases = [(env_id, {}) for env_id in sorted(env_specs())]
    for family in families().values():
        cases.extend(family.test_cases)
    return cases


CASES = _cases()
IDS = [f"{e}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for e, kw in CASES]
ENV_IDS = sorted(env_specs())


def make(env_id: str, cache: str, **kwargs):
    """A small, fast env of ``env_id`` on the test room."""
    small = family_of(env_id).test_kwargs
    return gym.make(env_id, scenes=[make_test_room()], cache_dir=cache, progress=False, **{**small, **kwargs})


def test_every_registered_env_is_covered():
    assert set(ENV_IDS) <= {c[0] for c in CASES}
    assert {"Rep2D-Bbox-v0", "Rep2D-Exposure-v0", "Rep2D-CameraPose-v0"} <= set(ENV_IDS)


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
    for seed in range(5):
        _, info = env.reset(seed=seed)
        answer, terminated = info["answer"], False
        while not terminated:
            best = get_task(info["task"]).best_reward  # the question's own task (an env may mix tasks)
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
    metric = get_task(info["task"]).metric
    worst = metric.worst_value(info["target"])
    assert reward == metric.reward(worst) and info["metrics"][metric.name] == worst
    assert metric.better(metric.best, worst)


@pytest.mark.parametrize("env_id", ENV_IDS)
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


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("vector", [gym.vector.SyncVectorEnv, gym.vector.AsyncVectorEnv])
def test_vector_envs_step(env_id, vector, bank_cache):
    make(env_id, bank_cache).reset(seed=0)  # build the bank once, before workers race for it
    envs = vector([lambda: make(env_id, bank_cache) for _ in range(4)])
    try:
        obs, infos = envs.reset(seed=11)
        shape = envs.single_observation_space["images"].shape
        assert obs["images"].shape == (4, *shape) and len(obs["prompt"]) == 4
        best = envs.get_attr("task")[0].best_reward
        obs, rewards, terminated, _, infos = envs.step(list(infos["answer"]))
        assert rewards.shape == (4,) and terminated.all()
        np.testing.assert_allclose(rewards, best, atol=1e-12)
        obs, rewards, terminated, _, infos = envs.step(["?"] * 4)  # the autoreset step
        assert obs["images"].shape == (4, *shape) and not terminated.any()
        # A batch mixing parsed and failed answers (predictions of different types) collects.
        answers = list(infos["answer"])
        obs, rewards, terminated, _, infos = envs.step([answers[0], "?", answers[2], "?"])
        assert list(infos["parse_ok"]) == [True, False, True, False]
    finally:
        envs.close()


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=IDS)
def test_info_names_the_question(env_id, kwargs, bank_cache):
    env = make(env_id, bank_cache, **kwargs)
    _, info = env.reset(seed=2)
    assert info["family"] == env.unwrapped.task.family and isinstance(info["question_type"], str)
    if "choices" in info:
        # The options in order; the reference answer is one of them or its letter (A, B, ...).
        letters = [chr(65 + i) for i in range(len(info["choices"]))]
        assert len(set(info["choices"])) == len(info["choices"])
        assert info["answer"] in info["choices"] or info["answer"] in letters
    _, _, terminated, _, info = env.step(info["answer"])
    while not terminated:
        _, _, terminated, _, info = env.step(info["next_answer"])
    with pytest.raises(RuntimeError, match="reset"):
        env.step("anything")


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_render_pictures_the_question(env_id, bank_cache):
    env = make(env_id, bank_cache, render_mode="rgb_array")
    obs, _ = env.reset(seed=0)
    sheet = env.render()
    assert sheet.dtype == np.uint8 and sheet.ndim == 3 and sheet.shape[2] == 3
    assert sheet.shape[0] >= obs["images"].shape[1]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_reset_options_are_checked(env_id, bank_cache):
    env = make(env_id, bank_cache)
    env.reset(seed=0, options={"scene_index": 0})
    for bad, match in (({"scene": 0}, "unknown reset option"), ({"scene_index": "0"}, "must be an int"),
                       ({"scene_index": 1}, "out of range")):
        with pytest.raises(ValueError, match=match):
            env.reset(seed=0, options=bad)
