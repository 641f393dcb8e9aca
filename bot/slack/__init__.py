"""The Slack surface: staff ask in channels (by mention), in DMs, in threads and with /monobot."""
