"""One module per CLI subcommand: add_arguments(parser) and run(args) -> exit status; `app/cli.py` names each
with its help and whether it connects, so that only the command asked for is imported."""
