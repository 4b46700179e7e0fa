"""The acceptance deliverables of articles 15-16: the map of the 23 documents, and the ones data can fill."""
