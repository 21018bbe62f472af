"""The Python Array API standard namespace over OOArrays (``x.__array_namespace__()``)."""
