"""Grading a whole assignment: ``python -m autograder grade`` and ``selfcheck``.

Modules, in the order a submission meets them:

- :mod:`.run` - the main process: course, submissions, resume, the worker pool, the single
  gradebook writer, ``grades.csv``;
- :mod:`.submissions` - finding ``submitted/*/<assignment>/`` and checking each submission;
- :mod:`.gradebook` - the course configuration and every gradebook access (nbgrader's API);
- :mod:`.chain` - nbgrader's autograde preprocessors as the course configures them;
- :mod:`.worker` - one worker process: its pre-started kernel, one submission graded;
- :mod:`.execute` - nbgrader's ``Execute`` with capped output;
- :mod:`.kernel` and :mod:`.kernel_launcher` - the sandboxed Jupyter kernel (the launcher is run by
  path inside the sandbox);
- :mod:`.untrusted` - the kernel's output bounded and made inert;
- :mod:`.verdict` - one test cell's points: min(kernel, trusted), disagreements flagged;
- :mod:`.options` - the run's settings and the messages between main process and workers;
- :mod:`.progress` - the progress bar, summary table and exit status;
- :mod:`.selfcheck` - ``selfcheck``: a learner grades their own notebook on a scratch course.

The verification the worker runs beside the kernel is :mod:`autograder.verify`; the sandbox is
:mod:`autograder.sandbox`; the copy rule for files is :mod:`autograder.files`.
"""
