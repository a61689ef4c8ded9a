"""The catalog (智能分拨 reference lists): the taxonomy and the responsibility list (权责清单), with history."""
