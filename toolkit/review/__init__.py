"""`toolkit review`: read a Terraform/OpenTofu plan JSON and say what a reviewer needs to know.

reader.py (streaming plan JSON reader) → analysis.py (summary, data-at-risk warnings from risks.py,
grouped changes, masked attribute diffs) → markdown.py + templates/review.md.j2 (one GitHub comment),
render_json.py (stable schema), render_text.py (terminal); service.py ties them to the CLI.
"""
