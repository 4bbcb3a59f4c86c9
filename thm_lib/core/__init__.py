"""Foundations every layer uses: errors, settings, the Workspace, labels, number formats, paths."""
