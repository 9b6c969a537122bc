"""applab orchestrator: network bring-up, link emulation, runs and reports."""
