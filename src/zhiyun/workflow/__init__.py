"""Workflow: the use cases that apply the life-cycle rules inside one transaction each."""
