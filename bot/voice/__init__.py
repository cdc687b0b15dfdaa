"""Voice notes: offline Spanish speech recognition (faster-whisper, Whisper *base*, int8 on CPU).

- ``model_files``: the model shipped in two PyPI packages, joined once under ``VAR_DIR`` and checked;
- ``audio``: decoding a voice note (OGG/Opus and the like) with PyAV, with limits on size and duration;
- ``transcriber``: the recogniser and what counts as a confident transcript;
- ``worker``: a bounded pool of worker processes, so transcription never runs on Rasa's event loop.

Importing this package imports none of the heavy libraries: they load in the worker process.
"""
