"""Operations: sensor heartbeats, data freshness, the live-readiness criteria and gate, alerts."""
