"""What runs inside the sandbox, one module per trust role

- watchdog.py: Z, the sandbox's first process (trusted; never runs student
  code): reads submissions from the grader, keeps every deadline, accepts
  only the frames the protocol expects, relays outcomes, hands out the
  per-call secrets, and cleans up after each student.
- template.py: T, a clean copy of Z made before any request was read
  (trusted; never reads student data): forks every student process.
- student.py: S and C, the student's processes: S runs the cells, C (one
  per function, forked from S) runs that function's calls.
- guard.py: trusted code inside S and C: restores what student code
  patched, blocks audit hooks, and seals each outcome.
- cleanup.py and privileges.py: removing what a student left (as that
  student's uid), killing their processes, and dropping privileges.
"""
