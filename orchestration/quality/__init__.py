"""Great Expectations suites run as Dagster asset checks, and where their results go."""
