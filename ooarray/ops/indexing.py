"""Advanced indexing: integer-array (fancy) indexing, boolean masks, take, nonzero, ..."""
