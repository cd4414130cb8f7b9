"""Command-line tools of mmrazor_amd."""
