"""Open311 GeoReport v2: the public service catalog, the form adapter and the public read side."""
