"""What a backup file is (`file_kind`: by its first bytes, never its name) and whether it is whole (`verify`: every
kind of file Resguardo reads, checked without a database). Above the readers of each kind, which it asks."""
