"""The application: the processes and commands that put the core and the channels to work.

The top layer of bot/: the command line (``cli.py``, run as ``python -m bot``), the process
supervisor (``launcher.py``), the Rasa and action server entry points (``rasa_server.py``,
``action_server.py``), the terminal chat (``shell.py``), the web process (``web/``: municipal
API and staff console), status notices (``notifications.py``), the benchmark
(``benchmark.py``) and the development stand-ins (``devtools/``).

Only this package (and the ``bot/__main__.py`` shim) imports ``channels``; nothing in
``channels``, ``actions`` or the rest of ``bot`` imports it (tests/test_architecture.py).
"""
