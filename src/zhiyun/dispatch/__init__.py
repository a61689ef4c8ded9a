"""智能分拨: the taxonomy, the responsibility list (权责清单), the classifier and automatic dispatch."""
