"""Backups as standard `age` files (docs/encryption.md), through pyrage, the binding of the Rust `rage`.

Resguardo holds no cryptography of its own: pyrage encrypts and decrypts, these modules say which keys, where the
plain bytes live meanwhile, and what the user reads when a key or a file is wrong.
"""
