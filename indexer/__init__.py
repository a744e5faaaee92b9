"""Stage 3: the full-text index over provisions and their graph facts; the build that
runs the whole pipeline into a data folder, and the reader of a built generation."""
