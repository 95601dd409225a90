"""Bulk runs: one request per row of a spreadsheet, checked first, chunked, paced, resumable.

Rows come from a CSV or XLSX file (:mod:`.source`), are mapped onto a POST form
(:mod:`.mapping`), checked with the form's own parsers (:mod:`.check`), grouped into
requests by the catalog's list limits (:mod:`.chunk`), sent at the workspace's pace with
every outcome journalled (:mod:`.engine`, :mod:`.journal`), and written to a results file
beside the input (:mod:`.results`). No Qt: the CLI and the window drive the same engine.
"""
