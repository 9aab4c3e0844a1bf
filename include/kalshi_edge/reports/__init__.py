"""kalshi_edge.reports"""
