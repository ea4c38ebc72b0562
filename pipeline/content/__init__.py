"""Content stage: files under routes/ and content/ -> validated, typed model."""
