"""Checks on every device: CPU always, CUDA when this machine has one"""
import pytest
import torch

from grader.checks import CheckFailed, check
from grader.checks.devices import available, on_devices
from grader.checks.calls import Call
from grader import assignments

from .practice import ASSIGNMENT, RELEASED, submit

A = ASSIGNMENT

CUDA = pytest.mark.skipif(not torch.cuda.is_available(),
                          reason="no CUDA device here (torch.cuda.is_available() is False); "
                                 "the CUDA variants run on a machine with a GPU")


def test_cpu_is_always_checked():
    """Is the CPU always among the devices, first?"""
    assert available()[0] == "cpu"


def test_device_copies_inform_only_the_devices_aspect():
    """Does a call copied to another device count for `devices` and nothing else?"""
    call = Call("local_pool", (torch.ones(3, 3), (2, 2)), aspects=frozenset({"values", "devices"}))
    out = on_devices([call], ["cpu", "cuda"])
    assert [c.device for c in out] == ["cpu", "cuda"]
    assert out[1].aspects == frozenset({"devices"}) and out[0].aspects == call.aspects


@CUDA
def test_reference_passes_its_device_checks_on_cuda():
    """On a GPU machine, do the references keep their results on CUDA?"""
    check("local_pool-devices", assignments.reference("local_pool"))


@CUDA
def test_a_function_that_moves_results_to_the_cpu_fails_on_cuda():
    """On a GPU machine, is a result moved to the CPU caught, naming the device?"""
    def local_pool(X, pool_size, mode="max"):
        return assignments.reference("local_pool")(X, pool_size, mode).cpu()
    with pytest.raises(CheckFailed, match="cuda"):
        check("local_pool-devices", local_pool)


# --- the devices a course is graded on (DIR/grader.toml) -----------------------------

import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from nbgrader.api import Gradebook  # noqa: E402

from grader import ledger  # noqa: E402
from grader.autograde import autograde  # noqa: E402
from grader.checks.explain import message  # noqa: E402
from grader.course import REPO, SettingError, course_devices, default_db_url  # noqa: E402
from grader.course import DEFAULT_SEED  # noqa: E402
from grader.gradebook import ensure_assignment  # noqa: E402
from grader.ledger import read_marker  # noqa: E402
from grader.runners.dask import grade_task  # noqa: E402
from grader.worker import Refused, Setup, grade_bytes  # noqa: E402

NOT_CHECKED_COURSE = "not checked: this course is graded on cpu only"

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(),
                             reason="this machine has CUDA: it would not refuse")
GPU_COURSE = '[grading]\ndevices = ["cpu", "cuda"]\n'


def test_the_course_setting_and_its_default(tmp_path):
    """No grader.toml, or no key: cpu. A list of known devices with cpu: kept
    in order. Anything else: an error that says what is wrong"""
    assert course_devices(tmp_path) == ["cpu"]
    (tmp_path / "grader.toml").write_text("[grading]\n")
    assert course_devices(tmp_path) == ["cpu"]
    (tmp_path / "grader.toml").write_text('[grading]\ndevices = ["cuda", "cpu"]\n')
    assert course_devices(tmp_path) == ["cpu", "cuda"]
    for text, words in (('[grading]\ndevices = ["cpu", "tpu"]', "unknown device 'tpu'"),
                        ('[grading]\ndevices = ["cuda"]', 'must include "cpu"'),
                        ('[grading]\ndevices = "cpu"', "must be a list"),
                        ("[grading\n", "not valid TOML")):
        (tmp_path / "grader.toml").write_text(text)
        with pytest.raises(SettingError, match=words):
            course_devices(tmp_path)


def _notebook():
    return RELEASED.read_bytes()


@NO_CUDA
def test_a_worker_without_the_device_refuses_the_work():
    """A local or Dask worker asked for cuda where there is none says so and
    grades nothing"""
    with pytest.raises(Refused, match=r"has no cuda, which this run grades on .*--devices cpu"):
        grade_bytes(_notebook(), A, DEFAULT_SEED, devices=("cpu", "cuda"))
    with pytest.raises(Refused, match="has no cuda"):
        grade_task(_notebook(), A, Setup(DEFAULT_SEED, ("cpu", "cuda"), fingerprints={
            A: ledger.checks_fingerprint(A)}))


@pytest.fixture(scope="module")
def gpu_course(tmp_path_factory):
    """One right submission (ada) in a course graded on cpu and cuda"""
    course = tmp_path_factory.mktemp("gpu-course")
    submit(course, "ada")
    (course / "grader.toml").write_text(GPU_COURSE)
    return course


@NO_CUDA
def test_a_gpu_course_is_not_graded_here_unless_the_run_opts_out(gpu_course, tmp_path):
    """`grader autograde` on a cuda course without a GPU: exit 2, the reason,
    nothing recorded; `--devices cpu` grades it, says so, and records that
    the `devices` checks were not run (0 of 0)"""
    course = tmp_path / "course"
    shutil.copytree(gpu_course, course)
    command = [sys.executable, "-m", "grader", "autograde", A, "--course", str(course)]
    refused = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert refused.returncode == 2
    assert "this machine has no cuda" in refused.stderr and "--devices cpu" in refused.stderr
    assert not (course / "gradebook.db").exists() and not (course / "autograded").exists()
    opted = subprocess.run(command + ["--devices", "cpu"], cwd=REPO, capture_output=True,
                           text=True, timeout=600)
    assert opted.returncode == 0, opted.stderr[-2000:]
    assert ("devices checked: cpu (opted out for this run: the course is graded on cpu, "
            "cuda); the `devices` checks are worth 0") in opted.stdout
    assert read_marker(course, A, "ada")["devices"] == ["cpu"]
    cached = ledger.kept(course, A, "ada", A)
    assert cached.devices == ["cpu"]
    devices = cached.verdicts["local_pool-devices"]
    assert devices.max_points == 0 and "this run was graded on cpu only" in message(devices)


@NO_CUDA
def test_a_dask_worker_without_the_device_refuses_every_submission(gpu_course, tmp_path):
    """A cluster without cuda for a cuda course: each submission refused with
    the reason, nothing recorded, and the summary says so"""
    distributed = pytest.importorskip("distributed")
    course = tmp_path / "course"
    shutil.copytree(gpu_course, course)
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                                  dashboard_address=None, silence_logs=40) as cluster:
        summary = autograde(A, course, scheduler=cluster.scheduler_address,
                            quiet=True)
    assert summary.graded == [] and list(summary.refused) == ["ada"]
    assert "has no cuda, which this run grades on" in summary.refused["ada"]
    with Gradebook(default_db_url(course)) as gb:
        assert gb.find_assignment(A).submissions == []


def test_a_cpu_course_gives_nothing_for_unchecked_devices(gpu_course, tmp_path):
    """No grader.toml: every `<function>-devices` cell is worth 0 in the
    gradebook and says why; a course that asks for cuda puts the points
    back (and its checksums still verify)"""
    course = tmp_path / "course"
    shutil.copytree(gpu_course, course)
    (course / "grader.toml").unlink()
    summary = autograde(A, course, workers=1, quiet=True)
    assert summary.devices == summary.course_devices == ["cpu"] and summary.graded == ["ada"]
    db = default_db_url(course)

    def worth():
        with Gradebook(db) as gb:
            sub = gb.find_submission(A, "ada")
            return {g.name: (g.score, g.max_score) for nb in sub.notebooks for g in nb.grades
                    if g.name.endswith("-devices")}
    # 3 of the test-only assignment's functions have `devices` (6 of the
    # course's assignment, before this test moved to the test-only one)
    assert len(worth()) == 3 and set(worth().values()) == {(0.0, 0.0)}
    nb = json.loads((course / "autograded" / "ada" / A / f"{A}.ipynb").read_text())
    outputs = [c["outputs"] for c in nb["cells"]
               if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "local_pool-devices"]
    assert "".join(outputs[0][0]["text"]) == NOT_CHECKED_COURSE + "\n"
    ensure_assignment(course, A, db, ("cpu", "cuda"))
    with Gradebook(db) as gb:
        cells = {c.name: c.max_score for c in gb.find_notebook(A, A).grade_cells}
    assert cells["local_pool-devices"] == 1 and cells["strided_pool-devices"] == 1
    from grader.record import Recorder
    result = ledger.kept(course, A, "ada", A)
    sub = ledger.read("ada", A, course / "submitted" / "ada" / A / f"{A}.ipynb")
    with Recorder(course, A, db) as recorder:   # as submitted, not rebuilt
        assert recorder.record(sub, result) is None


def test_what_the_machine_has_does_not_change_the_grade(monkeypatch):
    """Reproduction (issue 18, 4): the `devices` aspect used to run on CUDA
    wherever the grading machine had a GPU. Now a worker grades on the run's
    devices only: one that claims a GPU grades a cpu course's notebook with
    CPU calls alone, exactly as one without"""
    import grader.checks.devices as devices
    data = _notebook()
    plain = grade_bytes(data, A, DEFAULT_SEED, devices=("cpu",))
    monkeypatch.setattr(devices, "available", lambda: ["cpu", "cuda"])
    with_gpu = grade_bytes(data, A, DEFAULT_SEED, devices=("cpu",))
    assert with_gpu.devices == plain.devices == ["cpu"]
    assert with_gpu.verdicts == plain.verdicts
    assert all(set(v.devices) <= {"cpu"} for v in with_gpu.verdicts.values())
