"""The demo: a synthetic Nanhai-like district, a few hundred orders with real histories, live traffic.

Everything here drives the real services (org import, accounts, the work-order use cases),
so the demo's data has the same audit trail as production data. Nothing runs at import.
"""
