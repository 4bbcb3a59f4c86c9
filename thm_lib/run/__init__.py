"""Running things: the thm command line, the batch, the notebooks' helpers."""
