"""``python -m mimicry.schema``: every file format as Markdown (the docs' tables are this text)."""

from . import ALL_SCHEMAS

for schema in ALL_SCHEMAS:
    print(f"{schema.description}\n\n{schema.markdown()}\n")
