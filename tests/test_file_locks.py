"""The conversation locks of embedded mode are shared by the processes of one machine (RASA_WORKERS).

Two real processes take the same conversation's lock many times, through the inbox's
``ConversationLocks.from_env()`` and through Rasa's lock store of endpoints.yml, and write down
when they enter and leave: no two may ever be inside at once. A process killed while holding
the lock does not leave the conversation locked.
"""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from bot.config import PROJECT_ROOT

HOLDERS = {
    "inbox": "from channels.locks import ConversationLocks; hold = ConversationLocks.from_env().hold",
    "rasa": "from bot.storage.lock_store import FileLockStore; hold = FileLockStore().lock",
}

WORKER = textwrap.dedent(
    """
    import asyncio, os, sys
    {holder}

    async def turn(name):
        for _ in range(15):
            async with hold("whatsapp:whatsapp:+56991234567"):
                with open(sys.argv[1], "a") as log:
                    log.write(f"in {{name}}\\n")
                await asyncio.sleep(0.003)  # a turn: other tasks and processes run meanwhile
                with open(sys.argv[1], "a") as log:
                    log.write(f"out {{name}}\\n")

    async def main():
        await asyncio.gather(*(turn(f"{{os.getpid()}}-{{n}}") for n in range(3)))

    asyncio.run(main())
    """
)


def _env(tmp_path):
    env = dict(os.environ, VAR_DIR=str(tmp_path / "var"), PYTHONPATH=str(PROJECT_ROOT))
    env.pop("REDIS_HOST", None)
    return env


@pytest.mark.parametrize("which", sorted(HOLDERS))
def test_two_processes_never_hold_a_conversation_at_once(tmp_path, which):
    log = tmp_path / "turns.log"
    code = WORKER.format(holder=HOLDERS[which])
    workers = [
        subprocess.Popen([sys.executable, "-c", code, str(log)], env=_env(tmp_path), cwd=PROJECT_ROOT) for _ in range(2)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    lines = log.read_text().splitlines()
    assert len(lines) == 2 * 2 * 3 * 15
    assert len({line.split()[1].split("-")[0] for line in lines}) == 2  # both processes took turns
    for enter, leave in zip(lines[::2], lines[1::2], strict=True):
        assert enter.startswith("in ") and leave == "out " + enter[3:], (enter, leave)


def test_a_killed_holder_frees_the_conversation(tmp_path):
    holder = textwrap.dedent(
        """
        import asyncio
        from channels.locks import ConversationLocks

        async def main():
            async with ConversationLocks.from_env().hold("whatsapp:whatsapp:+56997654321"):
                print("tomado", flush=True)
                await asyncio.sleep(3600)

        asyncio.run(main())
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder], env=_env(tmp_path), cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "tomado"
        taker = textwrap.dedent(
            """
            import asyncio
            from channels.locks import ConversationLocks

            async def main():
                locks = ConversationLocks.from_env()
                try:
                    await asyncio.wait_for(locks.hold("whatsapp:whatsapp:+56997654321").__aenter__(), 1)
                except asyncio.TimeoutError:
                    print("ocupado")
                else:
                    print("libre")

            asyncio.run(main())
            """
        )

        def try_take():
            return subprocess.run(
                [sys.executable, "-c", taker], env=_env(tmp_path), cwd=PROJECT_ROOT, capture_output=True, text=True
            ).stdout.strip()

        assert try_take() == "ocupado"  # another process holds it
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert try_take() == "libre"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
