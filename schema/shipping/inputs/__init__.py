"""The shipping domain's inputs by concept: carriers, shipments, cash on delivery and the
webhook inbox (shipments.py); delivery exceptions (exceptions.py). Import from the module."""
