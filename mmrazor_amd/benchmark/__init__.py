"""The embedded benchmark: resumable runs, their plan, tables and plots."""
