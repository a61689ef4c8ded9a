"""Analytics: the leader dashboard figures, rates and trends over work orders."""
