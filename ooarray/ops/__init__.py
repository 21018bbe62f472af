"""NumPy functions, one module per family; importing a module registers its functions."""
