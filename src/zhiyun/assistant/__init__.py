"""小南, the assistant: answers from the knowledge base, hand-over to a work order (docs/assistant.md)."""
