"""The array layer: OOArray, chunk-grid maths, NumPy dispatch."""
