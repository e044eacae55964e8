"""voicebot: a telephony voice-bot runtime driven by YAML scenarios."""

__version__ = "0.1.0"
__all__ = ["__version__"]
