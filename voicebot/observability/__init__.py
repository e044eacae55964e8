"""voicebot.observability."""
