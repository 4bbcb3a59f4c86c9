"""Files to Workspace: reading and checking an Arbeitsmappe, official statistics, templates."""
