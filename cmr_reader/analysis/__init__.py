"""Statistics over reader scores: pure functions over arrays, no Django."""
