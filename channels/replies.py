"""The replies of a turn: collected while Rasa runs, delivered once it is over.

Collecting first means a failed turn sends nothing but the apology (never half an
answer followed by "tuvimos un problema"), the turn's time limit covers only the
assistant and not Twilio or Telegram, and replies the channel could not deliver
are kept in the inbox and sent when the channel is back, without running the turn
again (channels/inbox.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.core.channels.channel import OutputChannel

from bot.answers.reply import ASKS_LOCATION_KEY
from bot.turn_state import turn_failed

Reply = Dict[str, Any]  # {"text": str} or {"text": str, "buttons": [{"title": str, "payload": str}, ...]}


class UndeliveredReplies(RuntimeError):
    """The channel's API failed; ``remaining`` are the replies not delivered, in order."""

    def __init__(self, remaining: List[Reply]) -> None:
        super().__init__(f"{len(remaining)} respuesta(s) sin entregar")
        self.remaining = remaining


class ReplyOutput(OutputChannel):
    """Base of our output channels: collects replies (``collect=True``) or delivers each at once."""

    def __init__(self, collect: bool = False) -> None:
        self.collect = collect
        self.replies: List[Reply] = []

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        reply: Reply = {"text": text}
        if kwargs.get(ASKS_LOCATION_KEY):  # the question asks where: a channel may offer to share the location
            reply[ASKS_LOCATION_KEY] = True
        await self._add(recipient_id, reply)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._add(
            recipient_id,
            {"text": text, "buttons": [{"title": str(b["title"]), "payload": str(b["payload"])} for b in buttons]},
        )

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        """Images are sent as their link."""
        await self._add(recipient_id, {"text": image})

    async def _add(self, recipient_id: Text, reply: Reply) -> None:
        if turn_failed():  # after a failed action Rasa carries on; what it says then is not sent
            return
        if self.collect:
            self.replies.append(reply)
        else:
            await self.deliver_one(recipient_id, reply)

    async def deliver(self, recipient_id: Text, replies: List[Reply]) -> None:
        """Deliver ``replies`` in order; ``UndeliveredReplies`` with the rest when the channel fails."""
        for index, reply in enumerate(replies):
            try:
                await self.deliver_one(recipient_id, reply)
            except Exception as exc:
                raise UndeliveredReplies(replies[index:]) from exc

    async def deliver_one(self, recipient_id: Text, reply: Reply) -> None:  # pragma: no cover - abstract
        """Send one reply through the channel's API."""
        raise NotImplementedError
