"""kalshi_edge.families.weather"""
