"""voicebot.api."""
