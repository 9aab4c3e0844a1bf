"""kalshi_edge.lake"""
