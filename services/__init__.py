"""Services: one module per role, all behind the same small interface."""
