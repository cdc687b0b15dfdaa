"""How the assistant reads a message in the light of the dialogue so far (plain Python, no Rasa).

Where each decision is taken, in the order a message meets them:

1. The channel (channels/whatsapp.py, channels/telegram.py): a number, a button title or the
   words of an offered procedure ("el del auto", ``choices.choice_payload``) answer the last
   message's buttons; typed "/..." is text (channels/typed.py).
2. The NLU's last component (bot/nlu/intent_cues.py): words settle what the classifier
   confuses, statelessly: question or request (``procedure_moves``), the town hall and the
   contact details of its offices, upset messages, status words, words of assent (``cues``).
3. An active form (actions/forms.py) takes every message: ``form_moves.form_move`` says
   whether it answers the pending question, cancels, asks for a person, is an outburst (a
   complaint, a person or going on is offered), asks something else or requests another
   procedure.
4. Outside a form, the action for the intent resolves the procedure in focus, a kind of
   procedure ("un certificado") or a choice left pending (actions/procedure_turns.py).
"""
