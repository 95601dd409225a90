"""Persistence: paths, workspaces and the keyring, collections and history. No Qt."""
