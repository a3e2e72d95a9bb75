"""A backup compared with the live clinic, row by row (docs/recover.md): what a restore would bring back and what
it would throw away."""
