"""Socket programs: a student's program, run in a sandbox (§2.7)."""
