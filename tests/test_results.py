from recordpack.results import BatchResult, JobResult


def test_a_batch_counts_its_jobs_by_status():
    jobs = (
        JobResult("a", "built", 1.0, complete=True),
        JobResult("b", "built", 1.0, complete=False, missing=("pathology-report",)),
        JobResult("c", "unchanged", 0.1, complete=True),
        JobResult("d", "failed", 0.2, error="not a folder"),
    )
    result = BatchResult(jobs, 2.3)
    assert (result.count("built"), result.count("unchanged"), result.count("failed")) == (2, 1, 1)
    assert result.incomplete == 1  # a failed job is not "incomplete": it has no packet
