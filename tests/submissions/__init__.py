"""Tests of reading and writing the county monthly report form."""
