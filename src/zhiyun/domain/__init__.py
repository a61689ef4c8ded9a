"""Pure rules of zhiyun: standard library only, no I/O, no ORM, no web."""
