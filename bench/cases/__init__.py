"""One module per benchmark group; each has `run(settings) -> list[Row]`."""
