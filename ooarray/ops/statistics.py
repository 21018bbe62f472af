"""Statistics: histogram, histogram2d, bincount, cov, corrcoef, average, count_nonzero."""
