"""The app people start: the command line and the window."""
