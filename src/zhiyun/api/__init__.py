"""The REST API (FastAPI) over the capability services: `create_app(services)`."""
