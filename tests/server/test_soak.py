"""The short version of bench/soak_bench.py: SIGKILL a real ``hearth serve`` at random moments
of a turn (some with tool calls), start it again on the same data dir each time, and check
CONTRACT.md's durability promise after every kill. The moments are random (seed from
``HEARTH_SOAK_SEED``, printed on failure); what is checked holds for any moment."""

from bench.soak_bench import GRACE, seed_from_env, soak

KILLS = 5
SLACK = 0.25  # scheduling tolerance on a busy two-core machine, as in test_crash.py


def test_sigkill_at_random_moments_loses_nothing_promised(tmp_path):
    seed = seed_from_env()
    result = soak(KILLS, str(tmp_path), seed, stream_s=2.0, grace=GRACE + SLACK)
    assert len(result.rounds) == KILLS
    assert not result.violations, f"HEARTH_SOAK_SEED={seed}: " + "; ".join(result.violations)
