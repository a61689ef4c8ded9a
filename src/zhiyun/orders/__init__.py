"""Orders: the use cases that apply the work-order life cycle, each in one transaction."""
