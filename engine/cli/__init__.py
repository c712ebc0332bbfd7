"""The ``cpadvisor`` command line: ``app`` holds the core commands, the other modules one group each."""
