"""The citizens' portal (市民门户, /portal): report a problem, track it and rate the result, without a login."""
