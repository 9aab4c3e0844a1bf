"""kalshi_edge.backtest"""
