"""Helpers shared by every part of the pipeline: paths, the warehouse files, errors."""
