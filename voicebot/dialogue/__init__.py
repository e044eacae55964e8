"""voicebot.dialogue."""
