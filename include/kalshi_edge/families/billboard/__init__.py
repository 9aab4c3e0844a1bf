"""kalshi_edge.families.billboard"""
