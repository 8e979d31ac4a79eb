"""Pure domain rules: no database, no Flask; tested directly."""
