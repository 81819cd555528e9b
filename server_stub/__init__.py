"""Observatory reference receiver (lands with issue 4)."""
