"""What the demo prints: one module per source, each reading the published marts."""
