"""Reference data transcribed from the 2020 plan: the county registry and attachments 1-4."""
