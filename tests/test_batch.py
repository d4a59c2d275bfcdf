import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from recordpack.batch import Job, read_jobs, remove_partial_outputs, shard
from recordpack.cli import app
from recordpack.config import load_config
from recordpack.errors import ExitCode, RuleDataError
from tests.builders import LAB, write_pdf

runner = CliRunner()


def patients(root: Path, count: int = 5, broken: bool = True) -> Path:
    """``count`` small patient folders; the last has a patient file that cannot be read."""
    jobs = root / "jobs"
    for n in range(count):
        folder = jobs / f"patient-{n}"
        write_pdf(folder / "lab.pdf", [*LAB, f"patient {n}"])
        write_pdf(
            folder / "path.pdf",
            [
                "SURGICAL PATHOLOGY REPORT",
                "Date of procedure: 01/02/2025",
                "Gross description:",
                "Final diagnosis:",
                "carcinoma",
            ],
        )
        (folder / "patient.toml").write_text(f'name = "Patient {n}"\ndob = 1970-01-0{n + 1}\n')
    if broken:
        (jobs / f"patient-{count - 1}" / "patient.toml").write_text("name = [unclosed")
    return jobs


def run_batch(*args: str) -> tuple[int, list[dict], dict]:
    result = runner.invoke(app, ["batch", *args, "--json"])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines[:-1], lines[-1]


def test_a_failure_is_one_result_and_the_others_are_built(tmp_path: Path):
    jobs = patients(tmp_path)
    out = tmp_path / "out"
    code, lines, summary = run_batch(str(jobs), "-o", str(out), "--jobs", "2")
    assert code == ExitCode.BATCH_FAILED  # not 2: that is a usage error
    by_job = {line["job"]: line for line in lines}
    assert sorted(by_job) == [f"patient-{n}" for n in range(5)]
    failed = by_job["patient-4"]
    assert failed["status"] == "failed" and "patient.toml" in failed["error"]
    for n in range(4):
        line = by_job[f"patient-{n}"]
        assert line["status"] == "built" and line["items"] == 2 and line["pages"] > 2
        assert len(PdfReader(line["output"]).pages) == line["pages"]
        assert {"checklist", "problems", "seconds"} <= set(line)
    assert summary == {**summary, "jobs": 5, "built": 4, "failed": 1, "unchanged": 0}
    assert sorted(p.name for p in out.glob("*.pdf")) == [f"patient-{n}.pdf" for n in range(4)]


@pytest.mark.slow
def test_a_second_run_rebuilds_nothing_and_a_changed_file_rebuilds_one(tmp_path: Path):
    jobs = patients(tmp_path, broken=False)
    out = tmp_path / "out"
    assert run_batch(str(jobs), "-o", str(out), "--jobs", "1")[0] == 0
    code, lines, summary = run_batch(str(jobs), "-o", str(out), "--jobs", "1")
    assert code == 0 and summary["unchanged"] == 5 and summary["built"] == 0
    write_pdf(jobs / "patient-2" / "lab.pdf", [*LAB, "a corrected report"])
    _, lines, summary = run_batch(str(jobs), "-o", str(out), "--jobs", "1")
    assert [line["job"] for line in lines if line["status"] == "built"] == ["patient-2"]
    assert summary["unchanged"] == 4
    _, _, forced = run_batch(str(jobs), "-o", str(out), "--jobs", "1", "--force")
    assert forced["built"] == 5


def test_shards_cover_every_patient_exactly_once():
    jobs = [Job(id=f"p{n}", folder=f"/x/p{n}") for n in range(40)]
    slices = [shard(jobs, k, 3) for k in (1, 2, 3)]
    ids = [j.id for s in slices for j in s]
    assert sorted(ids) == sorted(j.id for j in jobs) and len(ids) == len(set(ids))
    assert all(slices)
    assert shard(jobs[:20], 2, 3) == [
        j for j in slices[1] if j in jobs[:20]
    ]  # stable when jobs are added
    with pytest.raises(RuleDataError):
        shard(jobs, 4, 3)


def test_csv_manifest_with_per_row_options(tmp_path: Path):
    patients(tmp_path, count=2, broken=False)
    manifest = tmp_path / "jobs.csv"
    with manifest.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["folder", "output", "condition", "consult_date", "question"])
        writer.writerow(["jobs/patient-0", "first", "breast", "2026-12-01", "Surgery or not?"])
        writer.writerow(["jobs/patient-1", "second", "", "", ""])
    code, lines, _ = run_batch(str(manifest), "-o", str(tmp_path / "out"), "-j", "1")
    assert code == 0
    first, second = sorted(lines, key=lambda line: line["job"])
    assert first["output"].endswith("first.pdf") and first["checklist"]["id"] == "breast-cancer"
    assert second["checklist"]["id"] == "general"
    manifest.write_text("folder,colour\njobs/patient-0,red\n")
    with pytest.raises(RuleDataError, match="row 1: unknown column 'colour'"):
        read_jobs(manifest)


def test_config_file_names_outputs_and_is_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    jobs = patients(tmp_path, count=1, broken=False)
    config = tmp_path / "recordpack.toml"
    config.write_text('output_pattern = "{name}_{dob}"\ncondition = "lung"\n')
    monkeypatch.chdir(tmp_path)  # found in the current folder
    code, [line], _ = run_batch(str(jobs), "-o", str(tmp_path / "out"), "-j", "1")
    assert code == 0 and Path(line["output"]).name == "Patient_0_1970-01-01.pdf"
    assert line["checklist"]["id"] == "lung-cancer"
    config.write_text('output_pattern = "{nom}"\n')
    with pytest.raises(RuleDataError, match="output_pattern"):
        load_config(config)
    config.write_text("jobs = 3\n")
    with pytest.raises(RuleDataError, match="unknown key 'jobs'"):
        load_config(config)


@pytest.mark.slow
@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["127.0.0.1"])
def test_dask_executor_builds_the_same_packets(tmp_path: Path):
    from dask.distributed import LocalCluster

    jobs = patients(tmp_path, count=3, broken=False)
    _, local, _ = run_batch(str(jobs), "-o", str(tmp_path / "local"), "-j", "2")
    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
    ) as cluster:
        code, remote, summary = run_batch(
            str(jobs),
            "-o",
            str(tmp_path / "dask"),
            "--executor",
            "dask",
            "--scheduler",
            cluster.scheduler_address,
        )
    assert code == 0 and summary["built"] == 3

    def shape(lines):
        return sorted((x["job"], x["pages"], x["items"], x["checklist"]["complete"]) for x in lines)

    assert shape(remote) == shape(local)
    for line in remote:
        assert Path(line["output"]).parent == tmp_path / "dask"


@pytest.mark.slow
def test_interrupting_a_batch_leaves_no_partial_output(tmp_path: Path):
    count = 12  # far more than two workers finish in the moment after the first packet
    jobs = patients(tmp_path, count=count, broken=False)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "recordpack", "batch", str(jobs), "-o", str(out), "-j", "2", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not list(out.glob("*.pdf")):
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: to the whole process group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr  # the interruption was seen, not swallowed
    assert b"interrupted" in stderr and b"Traceback" not in stderr
    assert 0 < len(list(out.glob("*.pdf"))) < count  # stopped part way
    assert [p.name for p in out.glob(".*") if not p.name.startswith(".recordpack-cache")] == []
    for pdf in out.glob("*.pdf"):
        assert len(PdfReader(pdf).pages) > 0  # every packet there is whole


def test_remove_partial_outputs_keeps_the_cache(tmp_path: Path):
    (tmp_path / ".recordpack-cache.sqlite").write_text("")
    (tmp_path / ".p.pdf.abc.part").write_text("")
    (tmp_path / ".p.zip.x1y2").mkdir()
    assert remove_partial_outputs(tmp_path) == 2
    assert [p.name for p in tmp_path.iterdir()] == [".recordpack-cache.sqlite"]


def test_a_large_patient_folder_builds_inside_a_batch_worker(tmp_path: Path):
    from recordpack.read import PARALLEL_AFTER
    from tests.builders import dicom_bytes

    jobs = patients(tmp_path, count=2, broken=False)
    for n in range(PARALLEL_AFTER + 10):  # enough files that a scan alone would start workers
        (jobs / "patient-0" / "DICOM" / f"IM{n:04d}").parent.mkdir(exist_ok=True)
        (jobs / "patient-0" / "DICOM" / f"IM{n:04d}").write_bytes(dicom_bytes(instance=n + 1))
    code, lines, summary = run_batch(str(jobs), "-o", str(tmp_path / "out"), "--jobs", "2")
    assert code == 0 and summary["built"] == 2, lines
    big = next(line for line in lines if line["job"] == "patient-0")
    assert big["items"] == 3  # two documents and one study of 210 images
