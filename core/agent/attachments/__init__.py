"""Attachments for the model: what a file is, its text, and how a message carries it."""
