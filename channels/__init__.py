"""Our own Rasa input and output channels: WhatsApp through Twilio, and Telegram."""
