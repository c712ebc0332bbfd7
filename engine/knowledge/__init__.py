"""Knowledge loading: pack formats, the rule language, vocabulary, catalog, safe YAML, the on-disk cache."""
