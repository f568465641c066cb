"""Notifications in the graph: inbox, delivery status, channel preferences."""
