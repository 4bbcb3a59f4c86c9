"""Pure computations on a Workspace: target group, needs, access, coverage, staffing, funding."""
