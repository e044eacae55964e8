"""voicebot.storage."""
