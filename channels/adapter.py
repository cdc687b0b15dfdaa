"""What every channel that can write to a citizen outside a Rasa turn offers (``ChannelAdapter``).

Staff replies (bot/app/web/console_handoffs.py), hand-backs and status notices
(bot/app/notifications.py) reach a conversation through the adapter of its channel, found in
the ``ChannelRegistry`` (channels/registry.py) by the channel of its ``ConversationId``.
They never look at the channel's own client library, so a new channel is its input
channel, its adapter, and one line in the registry.
"""

from __future__ import annotations

from typing import Dict, Optional, Protocol, runtime_checkable

from bot.conversation_id import ConversationId


class NotDeliverable(RuntimeError):
    """The conversation's channel cannot receive messages outside a turn here (e.g. REST, or not configured)."""


class SendError(RuntimeError):
    """The channel did not take the message. ``final``: retrying will not help (blocked bot, unknown chat)."""

    def __init__(self, message: str, final: bool = False) -> None:
        super().__init__(message)
        self.final = final


@runtime_checkable
class ChannelAdapter(Protocol):
    """Sending to the conversations of one channel."""

    channel: str  # the ``ConversationId.channel`` it serves
    text_limit: int  # longest text one message may carry (longer texts are split by the caller)
    # Free text only within a window after the citizen's last message (WhatsApp's 24 hours);
    # outside it only approved templates (``send_template``) are delivered.
    service_window: bool

    def unreachable(self, conversation: ConversationId) -> Optional[str]:
        """Why this conversation cannot be written to here (``None``: it can)."""

    async def send_text(self, conversation: ConversationId | str, text: str) -> Optional[str]:
        """Send one message of at most ``text_limit`` characters; ``SendError`` when it is not taken.
        Returns the provider's message id when it gives one."""

    async def send_template(
        self, conversation: ConversationId | str, template: str, variables: Dict[str, str]
    ) -> Optional[str]:
        """Send an approved template with its variables (channels with ``service_window``)."""

    async def send_media(self, conversation: ConversationId | str, url: str, caption: str = "") -> Optional[str]:
        """Send a file the provider fetches from ``url`` (a public HTTPS address), with a caption."""

    async def close(self) -> None:
        """Release the HTTP sessions."""
