"""kalshi_edge.sources"""
