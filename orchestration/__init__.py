"""The Gansu listed-supervision warehouse: Dagster definitions and the `dukan` command."""

import warnings

# Single-run backfills are what lets one run load a range of months in one step; the
# parameter is marked beta in dagster 1.13 and says so on every import.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`")
