"""Assignment: ``a[idx] = value``, copyto, putmask, place; lazy and copy-on-write."""
