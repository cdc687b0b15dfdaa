"""Long polling for local development: no public URL needed.

Reads each bot's updates with ``getUpdates`` and posts them to the local Telegram
webhook with the bot's secret, so they take exactly the production path.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Dict, Optional

import aiohttp

from channels.telegram_api import ALLOWED_UPDATES, TelegramSender, TelegramSettings

logger = logging.getLogger(__name__)


async def poll(
    settings: TelegramSettings, webhook_url: str, rounds: Optional[int] = None, wait_seconds: int = 10
) -> int:
    """Forward updates until cancelled (or for ``rounds`` rounds); returns how many were forwarded."""
    sender = TelegramSender(settings)
    offsets: Dict[str, Optional[int]] = {slug: None for slug in settings.tokens}
    for slug in settings.tokens:
        await sender.bot(slug).delete_webhook()  # getUpdates is refused while a webhook is set
    forwarded = 0
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        done = 0
        while rounds is None or done < rounds:
            done += 1
            for slug in settings.tokens:
                per_bot_wait = wait_seconds if len(settings.tokens) == 1 else 1
                try:
                    updates = await sender.bot(slug).get_updates(
                        offset=offsets[slug], timeout=per_bot_wait, allowed_updates=ALLOWED_UPDATES
                    )
                except Exception as exc:  # network hiccup: log and keep polling
                    logger.warning("Telegram %s: getUpdates falló: %s", slug, exc)
                    await asyncio.sleep(1)
                    continue
                for update in updates:
                    headers = {"X-Telegram-Bot-Api-Secret-Token": settings.secret_for(slug)}
                    async with http.post(webhook_url, json=update.to_dict(), headers=headers) as answer:
                        if answer.status >= 400:
                            logger.warning("Telegram %s: el webhook respondió %s", slug, answer.status)
                    offsets[slug] = update.update_id + 1
                    forwarded += 1
    return forwarded
