"""The `zhiyun` command line: the root app and what every command group shares."""
