"""Plan artefacts: the plan JSON reader, the plan vocabulary (actions), saved plans and their layout."""
