"""Many assessments: the database store, batch runs and the portfolio summary."""
