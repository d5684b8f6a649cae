"""Reports built from the warehouse for people who do not open a BI tool: self-contained
files that can be mailed, archived and opened offline."""
