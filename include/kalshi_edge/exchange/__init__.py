"""kalshi_edge.exchange"""
