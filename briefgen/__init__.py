"""briefgen: briefing issues and packs → print-ready PDF and editable DOCX."""

__version__ = "0.1.0"
