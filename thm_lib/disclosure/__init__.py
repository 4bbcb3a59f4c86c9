"""Disclosure control: suppression, the publication layer per Kreis run, and the audit."""
