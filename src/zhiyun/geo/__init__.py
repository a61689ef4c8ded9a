"""Geo (定位): unit boundaries, the gazetteer and locating an order to town and village."""
