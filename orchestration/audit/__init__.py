"""Provenance for auditors: from a figure back to the cells it came from."""
