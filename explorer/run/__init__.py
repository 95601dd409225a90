"""The collection runner: send a collection's requests in order and check what comes back.

- :mod:`explorer.run.engine` runs steps on a :class:`~explorer.core.connection.Connection`
  and reports through callbacks. Qt-free, and it looks nothing up itself: no workspace
  store, keyring or environment (the CLI and the runner panel pass those in).
- :mod:`explorer.run.source` reads what to run from a path (a collection, a folder of
  one, a Postman file).
- :mod:`explorer.run.cli` is ``rapidpro-explorer run``: it finds the workspace and token,
  prints with :mod:`explorer.run.printer` and writes :mod:`explorer.run.junit` reports.
"""
