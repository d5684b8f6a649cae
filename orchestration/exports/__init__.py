"""What leaves the warehouse: segment files for campaign tools, the BI copy, the portrait report."""
