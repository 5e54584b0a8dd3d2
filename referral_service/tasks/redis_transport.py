"""The Redis broker: kombu's Redis transport, made safe to close after Redis has restarted.

When Redis goes away while a worker holds a delivered, not yet acknowledged message, the worker
closes its connection and kombu 5.7 tries to put that message back through a new client. By then
the transport has let go of its connection settings (`connection.client is None`), and building
the client raises AttributeError, which the close path does not ignore: the worker stops with
"Unrecoverable error" instead of reconnecting (kombu issues #582 and #970 show the same trace).

`tasks/__init__.py` names this transport for `redis://` broker URLs, by name, so that a process that
never talks to Redis never imports the Redis client. Here that case raises a broker connection error
instead, which kombu's close path ignores, so the worker reconnects. Nothing is lost by not putting the
message back: the outbox row it carried is still pending in the database, and the relay or the
reconciler sends it again.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis
from redis.exceptions import ConnectionError as RedisConnectionError


class ResilientChannel(redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection is already closed")
        params: dict[str, Any] = super()._connparams(asynchronous=asynchronous)
        return params


class ResilientTransport(redis.Transport):
    Channel = ResilientChannel

