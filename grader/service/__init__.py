"""`grader serve`: instant feedback behind nbgrader's Submit button

A long-running service with warm grading workers (the same sandbox and
checks as `grader autograde`). It finds each submission that nbgrader's
exchange receives (what the Assignments tab's Submit writes into
`<exchange>/<course>/inbound/`), checks that the student it names wrote it,
keeps it as an attempt, grades it, records the attempt that counts in the
gradebook, writes its feedback at the assignment's level of detail and
releases it, so that Fetch Feedback in the same tab shows it.

- policy.py: per-assignment course settings (attempts, feedback detail,
  which attempt counts) from DIR/grader.toml
- exchange.py: the inbound submissions, who wrote them, releasing feedback
- attempts.py: every attempt kept, with its result and state
- serve.py: the loop (docs/service.md), on a runner (grader/runners: warm
  worker processes here, or a Dask cluster) submitting one attempt at a
  time and taking each result as soon as it is graded
"""
