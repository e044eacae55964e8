"""voicebot.outcomes."""
