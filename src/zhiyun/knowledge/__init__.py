"""The knowledge base (知识库): governed knowledge items, their import, and the retrieval 小南 and the staff's 一键秒回 answer from."""
