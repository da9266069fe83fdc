"""Statistics: every metric of DESIGN.md, computed by SQL aggregates, for any set of communities."""
