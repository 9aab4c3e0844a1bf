"""kalshi_edge.modeling"""
