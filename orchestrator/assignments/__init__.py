"""Programming assignments: a student's program on emulated hosts, checked
against the live network.

An assignment is a folder under ``assignments/``:

- ``assignment.yaml``, an experiment spec: the topology and links, the hosts
  that run the student's program (a ``program`` service or workload whose
  files name ``{solution}``), the reference clients or servers (``{folder}``
  is the assignment's folder);
- ``checks.py``: functions ``check_*(lab)``, run in order while the network
  is still up; each says what it checks in its docstring's first line and
  fails with an ``AssertionError`` whose message tells the student why;
- ``README.md`` for students;
- ``solutions/``: ``reference/`` (passes) and ``wrong-*/`` (each fails one
  check), one program each.
"""
