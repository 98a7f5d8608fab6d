"""The start and the end of every nightly load: a private build copy, then one atomic publish."""
