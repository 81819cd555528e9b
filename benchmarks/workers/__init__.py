"""Worker modules: each runs one measurement in a fresh interpreter and prints JSON."""
