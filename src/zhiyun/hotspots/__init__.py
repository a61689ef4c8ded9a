"""Hot issues (热点问题): orders about the same matter at the same place grouped and ranked by a hot index."""
