"""The lazy plan: nodes, fusion, lowering to chunk tasks, scheduling."""
