"""Datasets: a local SQLite copy of a workspace's runs, messages and contacts.

A pull reads the archives first (runs and messages the live API no longer returns), then the
live pages from where the archives end, and next time only what changed. The window's
Datasets panel and the ``pull`` command both drive this package; it never imports Qt.
"""
