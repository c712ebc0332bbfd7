"""Input and result models: profiles in, assessments out (pydantic, JSON both ways)."""
