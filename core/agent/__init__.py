"""The agent: providers (models), workspace tools, approvals and the turn loop.

Provider SDKs are imported lazily, inside the provider modules' functions, so that
importing ``core`` or ``core.agent`` stays cheap.
"""
