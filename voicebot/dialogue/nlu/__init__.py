"""voicebot.dialogue.nlu."""
