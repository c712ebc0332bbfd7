"""Rules at work: profile facts, the durable_rules engine, the plain evaluator, resolution into findings."""
