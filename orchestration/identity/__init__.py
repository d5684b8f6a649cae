"""Identity-resolution quality: precision and recall against a generator's ground truth."""
