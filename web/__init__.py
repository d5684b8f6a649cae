"""`huaxiang serve`: read-only web pages over the BI copy for people who are not engineers.

The customer card (search by mobile, record id or name), store and channel portraits and the
segments, server-rendered (FastAPI + Jinja2, inline SVG charts, no JavaScript build). They read
the BI copy the last run left, never the warehouse, so they never hold a run up; a steward may
reveal one customer's raw contact from the restricted area, and every reveal is audited.
"""
