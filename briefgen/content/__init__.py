"""Content: loaders (folder -> model), importers (text, HTML, DOCX) and their helpers."""
