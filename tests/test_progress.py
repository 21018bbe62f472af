"""The progress bar's rules: ``progress="auto"`` (the default) shows a bar only when the
output is interactive and the computation has run a while; ``True`` shows it wherever the
output goes and warns when tqdm is missing; ``False`` never shows it."""

from __future__ import annotations

import io
import sys
import time
import types
import warnings

import numpy as np
import pytest

import ooarray as oa
from ooarray.execute import callbacks
from ooarray.execute.callbacks import ProgressBar, active_callbacks, output_is_interactive

pytest.importorskip("tqdm")


class FakeTerminal(io.StringIO):
    """Standard error as a terminal would be: tqdm draws on it."""

    def isatty(self) -> bool:
        return True


class Sleepy(oa.Callback):
    """Makes each task of a computation take ``seconds`` longer (the bar comes after it)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_task_end(self, task, stats) -> None:
        time.sleep(self.seconds)


def tasks_sum(n: int = 8) -> float:
    """A computation of ``n`` + 2 tasks."""
    with oa.config.set(eager_bytes=0, executor="sync"):
        return float(oa.asarray(np.arange(10.0 * n), chunks=10).sum())


def as_terminal(monkeypatch) -> FakeTerminal:
    """Make standard error a terminal (in the test itself: pytest's capture sets its own
    stream again between a fixture's setup and the test)."""
    stream = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


def test_the_setting_is_true_false_or_auto_and_auto_by_default():
    assert oa.config.Config().progress == "auto"
    for value, kept in ((True, True), (False, False), ("auto", "auto"), (1, True), (0, False)):
        with oa.config.set(progress=value):
            assert oa.config.get().progress is kept or oa.config.get().progress == kept
    for wrong in ("yes", 2, None, "on"):
        with pytest.raises(ValueError, match="progress must be True, False or 'auto'"):
            oa.config.set(progress=wrong)


def test_auto_shows_nothing_when_the_output_is_not_interactive(monkeypatch, capsys):
    monkeypatch.setattr(callbacks, "AUTO_MINIMUM_SECONDS", 0.0)  # no wait: only the output
    assert not output_is_interactive()  # pytest captures stderr: not a terminal
    with oa.config.set(progress="auto"):
        assert tasks_sum() == float(np.arange(80.0).sum())
    assert "ooarray" not in capsys.readouterr().err


def test_auto_in_a_terminal_shows_the_bar_once_the_computation_ran_the_minimum(monkeypatch):
    terminal = as_terminal(monkeypatch)
    monkeypatch.setattr(callbacks, "AUTO_MINIMUM_SECONDS", 0.25)
    with oa.config.set(progress="auto"):
        tasks_sum()  # a few milliseconds: less than the minimum
        assert terminal.getvalue() == ""
        with Sleepy(0.05):  # 10 tasks of 50 ms: 0.5 s
            tasks_sum()
    shown = terminal.getvalue()
    assert "ooarray" in shown and "10/10" in shown


def test_auto_by_default_in_a_terminal(monkeypatch):
    terminal = as_terminal(monkeypatch)
    monkeypatch.setattr(callbacks, "AUTO_MINIMUM_SECONDS", 0.0)
    tasks_sum()
    assert "10/10" in terminal.getvalue()


def test_a_jupyter_kernel_is_interactive(monkeypatch):
    class Shell:
        kernel = object()

    class Terminal:  # IPython in a terminal: its stderr says
        pass

    fake = types.ModuleType("IPython")
    monkeypatch.setitem(sys.modules, "IPython", fake)
    fake.get_ipython = lambda: Shell()
    assert output_is_interactive()
    fake.get_ipython = lambda: Terminal()
    assert not output_is_interactive()
    fake.get_ipython = lambda: None
    assert not output_is_interactive()


def test_the_bar_appears_on_time_while_a_long_task_runs(monkeypatch):
    terminal = as_terminal(monkeypatch)
    plan = types.SimpleNamespace(tasks=[object() for _ in range(3)])
    bar = ProgressBar(show="auto", minimum=0.05)
    bar.on_plan_start(plan)
    assert terminal.getvalue() == ""
    time.sleep(0.3)  # no task has ended: the timer draws the bar
    assert "0/3" in terminal.getvalue()
    for task in plan.tasks:
        bar.on_task_end(task, None)
    bar.on_plan_end(plan, None)
    assert "3/3" in terminal.getvalue()


def test_true_shows_the_bar_wherever_the_output_goes(capsys):
    with oa.config.set(progress=True):
        tasks_sum()
    shown = capsys.readouterr().err
    assert "ooarray" in shown and "10/10" in shown


def test_false_never_shows_it(monkeypatch):
    terminal = as_terminal(monkeypatch)
    monkeypatch.setattr(callbacks, "AUTO_MINIMUM_SECONDS", 0.0)
    with oa.config.set(progress=False):
        tasks_sum()
    assert terminal.getvalue() == ""


def test_true_without_tqdm_warns_what_to_install(monkeypatch):
    terminal = as_terminal(monkeypatch)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm fails
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with oa.config.set(progress=True), pytest.warns(UserWarning, match="pip install tqdm"):
        assert tasks_sum() == float(np.arange(80.0).sum())
    monkeypatch.setattr(callbacks, "AUTO_MINIMUM_SECONDS", 0.0)
    with oa.config.set(progress="auto"), warnings.catch_warnings():
        warnings.simplefilter("error")  # not asked for: no warning, no bar
        tasks_sum()
    assert terminal.getvalue() == ""


def test_one_bar_when_one_is_active_already():
    with ProgressBar(show=True) as mine:
        bars = [c for c in active_callbacks(ProgressBar(show=True))
                if isinstance(c, ProgressBar)]
    assert bars == [mine]
    assert sum(isinstance(c, ProgressBar) for c in active_callbacks(ProgressBar(True))) == 1
