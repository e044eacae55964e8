"""voicebot.scenario."""
