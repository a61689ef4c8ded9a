"""Routing (智能分拨): automatic dispatch after registration, suggestions and correction feedback."""
