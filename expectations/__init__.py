"""Great Expectations: the committed file context (gx/) and a small runner for its checkpoints."""
