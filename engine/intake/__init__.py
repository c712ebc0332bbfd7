"""Reading profiles: files, validation against the vocabulary, errors that name file, line and field."""
