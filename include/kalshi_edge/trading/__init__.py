"""kalshi_edge.trading"""
