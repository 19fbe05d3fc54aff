"""The documents of a finished run: the report, the results page, their sections and pictures."""
