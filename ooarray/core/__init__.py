"""The array layer: OOArray, NumPy dispatch, the eager path."""
