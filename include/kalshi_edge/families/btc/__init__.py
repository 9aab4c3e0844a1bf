"""kalshi_edge.families.btc"""
