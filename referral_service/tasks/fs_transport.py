"""The embedded broker: kombu's filesystem transport, with messages written atomically and bad ones set aside.

kombu 5.7 creates a message file and then writes it, while a consumer may already have moved and
read the empty file (JSONDecodeError: the message is lost and the worker stops). Writing to a
hidden temporary name and renaming it means a consumer sees a whole message or none.

A message file that cannot be read or is not a message (bad JSON, empty, not an object, not UTF-8, no
delivery tag: a disk that filled up, a hand-edited file, a copy from elsewhere) would stop the worker with
"Unrecoverable error". It is moved aside instead, to `malformed/` beside the queue folder (DATA_DIR/broker/
malformed), under its own name, and logged by name; the worker goes on with the next message.
"""

from __future__ import annotations

import logging
import os
import uuid
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

ALIAS = "atomicfs"
#: The folder beside the queue folder that takes the message files no consumer can use.
MALFORMED = "malformed"

log = logging.getLogger(__name__)


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

    def _get(self, queue):
        """The next usable message of `queue`; the files that are not one are set aside on the way."""
        wanted = f"{queue}.msg"
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.partition(".")[2] != wanted:
                continue
            claimed = self._claim(filename)
            if claimed is None:
                continue  # another consumer took it first
            payload = self._read(claimed)
            if payload is None:
                self._set_aside(claimed, filename)
                continue
            if not self.store_processed:
                try:
                    os.remove(claimed)
                except OSError as exc:
                    raise ChannelError(f"Cannot remove {claimed!r} from the processed folder.") from exc
            return payload
        raise Empty()

    def _claim(self, filename: str) -> str | None:
        """Take the file out of the queue folder with one rename, so no two consumers read it; its new path."""
        # The processed folder is on the same file system as the queue (both under DATA_DIR/broker): a rename,
        # never kombu's copy to the system's temporary folder.
        folder = self.processed_folder
        os.makedirs(folder, exist_ok=True)
        claimed = os.path.join(folder, filename)
        try:
            os.rename(os.path.join(self.data_folder_in, filename), claimed)
        except OSError:
            return None
        return claimed

    def _read(self, path: str) -> dict | None:
        """The message in the file at `path`, or None when it holds none a consumer could take."""
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            # Not the message's fault (too many open files, a disk error): it goes back to the queue for the next
            # poll, never aside, and the channel reports the error as kombu's own transport does.
            self._put_back(path)
            raise ChannelError(f"Cannot read a message in {self.processed_folder!r}.") from exc
        try:
            payload = loads(bytes_to_str(raw))
            # What kombu's virtual Message and Celery's consumer need to take it in: properties with a delivery
            # tag, a body that decodes, mappings where they expect mappings. A body Celery cannot use as a task
            # Celery rejects itself, and the worker goes on.
            message = self.Message(payload, channel=self)
            if not all(isinstance(part, dict) for part in (message.properties, message.delivery_info,
                                                               message.headers)):
                return None
        except Exception:  # noqa: BLE001 - unreadable or not a message: set aside, never fatal
            return None
        return payload

    def _put_back(self, path: str) -> None:
        try:
            os.rename(path, os.path.join(self.data_folder_in, os.path.basename(path)))
        except OSError:
            log.exception("broker message could not be put back in the queue", extra={"file": os.path.basename(path)})

    def _set_aside(self, path: str, filename: str) -> None:
        folder = self.malformed_folder
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, filename)
        if os.path.exists(target):  # the same name set aside before: keep both
            target = os.path.join(folder, f"{filename}.{uuid.uuid4().hex[:8]}")
        try:
            os.replace(path, target)
        except OSError:
            log.exception("malformed broker message could not be moved aside", extra={"file": filename})
            try:
                os.remove(path)
            except OSError:
                pass
            return
        # The name only: the content is unknown and could hold anything.
        log.warning("malformed broker message moved aside",
                    extra={"file": filename, "folder": folder})

    @property
    def malformed_folder(self) -> str:
        return self.transport_options.get(
            "malformed_folder", os.path.join(os.path.dirname(os.path.abspath(self.data_folder_in)), MALFORMED))


class AtomicTransport(filesystem.Transport):
    Channel = AtomicChannel
    driver_type = "atomicfs"
    driver_name = "atomicfs"


TRANSPORT_ALIASES.setdefault(ALIAS, f"{__name__}:AtomicTransport")
