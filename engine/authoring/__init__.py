"""Tools for domain experts: expert cases, the pytest plugin, coverage, lint and scaffolding."""
