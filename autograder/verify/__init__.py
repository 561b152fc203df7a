"""Independent verification: a submission's test cells judged again, outside the student's kernel.

Modules, from the grader inwards:

- :mod:`.job` - :func:`~.job.verify_submission`: the job (student cells, trusted test cells, contract
  functions) and the verdicts per test cell (:class:`~.job.CellCheck`);
- :mod:`.launch` - starts the trusted test process, forked from a warm fork server or fresh;
- :mod:`.forkserver` - the fork server (``python -m autograder.verify.forkserver``);
- :mod:`.trusted` - the trusted test process (``python -m autograder.verify.trusted``): runs the
  test cells against proxies;
- :mod:`.student_process` - its handle on the sandboxed student process (start, restart, proxies);
- :mod:`.wire` - the protocol both speak, and the student's process itself (run by path inside the
  sandbox, standard library only).

This package's ``__init__`` imports nothing: the trusted test process and the fork server start
with ``-m`` and must not pay for the grader's imports.
"""
