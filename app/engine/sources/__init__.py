"""What a restore loads from: the source interface every file kind implements, and the native archive's source.
Below the readers of other kinds (pgdump/, dumpdata/), the restore and the verification, which all use it."""
