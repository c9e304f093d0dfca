"""Fake model servers that speak the OpenAI and Anthropic wire formats, for tests.

with FakeOpenAIServer() as fake:
    fake.reply(text="Hello", chunks=5)
    fake.error(status=429, headers={"retry-after": "0"})
    ...  # point a client at fake.base_url; read fake.model_requests afterwards
"""

from .anthropic_server import FakeAnthropicServer
from .openai_server import FakeOpenAIServer
from .scripts import Failure, Reply
from .server import FakeModelServer, RecordedRequest

__all__ = [
    "FakeAnthropicServer",
    "FakeModelServer",
    "FakeOpenAIServer",
    "Failure",
    "RecordedRequest",
    "Reply",
]
