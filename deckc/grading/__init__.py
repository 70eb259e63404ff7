"""deckc grade: parallel, sandboxed, tamper-proof autograding of an nbgrader course folder.

Modules (only ``cli`` is imported by ``deckc --help``; nothing here imports nbgrader at import
time except ``worker`` and ``gradebook``, which only grading processes load):

- ``cli``: the ``deckc grade`` Click command.
- ``run``: the main process: intake, worker pool, progress bar, single-writer merge into the
  gradebook, per-test CSV, summary.
- ``worker``: a long-lived grading process (imports nbgrader once, grades many students in a
  private scratch copy of the course, one notebook at a time, under a watchdog).
- ``jail``: launches one student process (a Jupyter kernel or the checking runner) with
  resource limits, as an unprivileged user, in a private read-only view of the filesystem.
- ``_runner``: runs inside the jail: executes a student's notebook cells (as IPython does) and
  records what the graded functions return on the test inputs (nothing of the reference in it).
- ``_codec``: the runner's value codec and its bounded message reader (used on both sides).
- ``verify``: the out-of-kernel check: plans the calls each test makes, and replays the tests
  in the grader on the recorded outputs.
- ``compose``: grades a function on its own, in the grader, from the recorded calls it made to
  the earlier functions.
- ``matching``: which handed-in file is which notebook (renamed files, size caps).
- ``outputs``: cell outputs capped in bytes while the kernel runs.
- ``csv_reports``: the CSV reports, never a spreadsheet formula; ``report``: the summary.
- ``gradebook``: copies assignment definitions, merges one student's results (nbgrader.api).
- ``feedback``: sanitising preprocessor, nh3 sanitising and the leak check of generated feedback.
- ``intake``: ``--from-zip`` (LMS export -> submitted/).
- ``fastkernel``: two fixed waits of jupyter_client shortened in the workers (~0.3 s per notebook).

See README.md here for the design, the limits on student code and the limitations.
"""
