"""Live demo traffic: realistic Chinese requests in each channel's own payload (`generator.py`), from a catalog of what each channel reports (`catalog.py`)."""
