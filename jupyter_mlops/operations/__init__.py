"""The operations: the one API every face calls (CLI, REST, magics, widgets)."""
