"""The embedded broker: kombu's filesystem transport, with messages written atomically.

kombu 5.7 creates a message file and then writes it, while a consumer may already have moved and
read the empty file (JSONDecodeError: the message is lost and the worker stops). Writing to a
hidden temporary name and renaming it means a consumer sees a whole message or none.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

ALIAS = "atomicfs"


class AtomicChannel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A leading dot keeps the half-written file out of every consumer's listing.
        temporary = os.path.join(self.data_folder_out, f".{name}.tmp")
        try:
            with open(temporary, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(temporary, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add a message to {self.data_folder_out!r}") from exc


class AtomicTransport(filesystem.Transport):
    Channel = AtomicChannel
    driver_type = "atomicfs"
    driver_name = "atomicfs"


TRANSPORT_ALIASES.setdefault(ALIAS, f"{__name__}:AtomicTransport")
