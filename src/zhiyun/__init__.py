"""zhiyun (智运): the operations platform of a district smart-city center."""

__version__ = "0.1.0"
