"""The built-in local model: a llama.cpp server in a child process, started on first use.

Importing this package imports nothing of the runtime (xllamacpp); see runtime.py.
"""
