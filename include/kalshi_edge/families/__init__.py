"""kalshi_edge.families"""
