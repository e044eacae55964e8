"""voicebot.knowledge."""
