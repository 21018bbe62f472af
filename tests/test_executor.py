"""The executor interface: engines by name, and a lowered plan that carries its settings
(budget included) to another process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ooarray as oa
from ooarray.execute.executor import ENGINES, executor_named
from ooarray.compute import _plan
from ooarray.execute.sinks import ArraySink

cloudpickle = pytest.importorskip("cloudpickle")


def test_engines_by_name_are_the_configs_executors():
    assert set(ENGINES) == set(oa.config.EXECUTORS)
    for name in ENGINES:
        assert executor_named(name).name == name
    with pytest.raises(ValueError, match="executor must be one of"):
        executor_named("gpu")


RUN_PICKLED_PLAN = textwrap.dedent("""
    import json, pickle, sys
    import ooarray as oa
    from ooarray.execute.executor import execute
    from ooarray.plan.schedule import schedule
    from ooarray.execute.sinks import ArraySink
    import numpy as np
    # Settings in force here that would refuse the plan: the plan's own must be used.
    oa.config.set(memory_limit=1000, policy="lru")
    plan, settings, shape, dtype, chunks = pickle.load(open(sys.argv[1], "rb"))
    sink = ArraySink(shape, dtype, chunks)
    stats = execute(plan, schedule(plan), sink, settings)
    np.save(sys.argv[2], sink.result)
    print(json.dumps({"peak": stats.peak_bytes, "tasks": stats.tasks}))
""")


def test_a_pickled_plan_runs_in_another_process_within_its_budget(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.standard_normal((400, 300))
    budget = 2 * 10**6
    with oa.config.set(memory_limit=budget, eager_bytes=0):
        oa.asarray(data, chunks=(50, 60)).to_zarr(tmp_path / "a.zarr")
        a = oa.open(tmp_path / "a.zarr")
        b = oa.asarray(data[::-1].copy(), chunks=(100, 60))
        result = (np.sqrt(a * a + 1) - b).sum(axis=0) + np.sort(a[:, 3])[::-1][:300]
        settings = oa.config.get()
        sink = ArraySink(result.shape, result.dtype, result.chunks)
        plan = _plan(result._node, sink.chunks, sink.scratch_bytes, sink.resident_bytes,
                     settings)
    (tmp_path / "plan.pkl").write_bytes(cloudpickle.dumps(
        (plan, settings, result.shape, result.dtype, result.chunks)))
    done = subprocess.run([sys.executable, "-c", RUN_PICKLED_PLAN, str(tmp_path / "plan.pkl"),
                           str(tmp_path / "out.npy")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    expected = (np.sqrt(data * data + 1) - data[::-1]).sum(axis=0) + \
        np.sort(data[:, 3])[::-1][:300]
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, rtol=1e-12)
    assert measured["tasks"] == len(plan.tasks) > 1
    assert 0 < measured["peak"] <= budget
