"""THM-Werkbank."""
