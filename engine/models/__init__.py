"""What policy staff do with models besides running them: safety checks on untrusted files, validation
as markers on elements, comparing versions, and the impact of moving running cases to another version.

The compiler itself is ``engine.definitions``; these modules read its output and the model files.
"""
