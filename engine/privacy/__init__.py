"""Privacy by design (AVG): personal-data categories, the processing register, per-case encryption
keys (crypto-shredding), retention, and data-subject requests (export, rectification).

- ``config``    the per-process register entry: purpose, legal basis, retention period after closure
- ``register``  ``docs/privacy.md``, generated from the models' forms and ``config``
"""
