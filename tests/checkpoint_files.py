"""Reading and damaging checkpoint directories as a user's disk might."""
import hashlib
import os

from dask_parsl.memo.legacy_store import MAGIC
from dask_parsl.memo.segments import scan_path
from dask_parsl.memo.store import Entry, load_index, read_payload


def committed(checkpoint_dir):
    """The hashsums of the committed entries of a checkpoint directory."""
    return sorted(load_index([checkpoint_dir]))


def segment_files(checkpoint_dir, part="segments"):
    directory = os.path.join(checkpoint_dir, part)
    return sorted(os.path.join(directory, name) for name in os.listdir(directory))


def corrupt_every_record(checkpoint_dir):
    """Flip the first byte of every committed record's pickle."""
    for entry in load_index([checkpoint_dir]).values():
        with open(entry.path, "r+b") as segment:
            segment.seek(entry.offset)
            segment.readline()
            where = segment.tell()
            first = segment.read(1)
            segment.seek(where)
            segment.write(bytes([first[0] ^ 0xFF]))


def rewrite_in_earlier_layout(checkpoint_dir, tokens_in):
    """Turn a checkpoint directory into the file-per-entry layout of earlier versions,
    its tokens in one empty file per entry (``"markers"``) or in a ``.tokens`` file."""
    entries, index = os.path.join(checkpoint_dir, "entries"), os.path.join(checkpoint_dir, "index")
    os.mkdir(entries, 0o700)
    os.mkdir(index, 0o700)
    lines = []
    for hashsum, entry in load_index([checkpoint_dir]).items():
        payload = bytes(read_payload(entry))
        with open(os.path.join(entries, hashsum), "wb") as file:
            file.write(MAGIC + hashlib.sha256(payload).digest() + payload)
        if tokens_in == "markers":
            open(os.path.join(index, f"{hashsum}.{entry.token}"), "w").close()
        lines.append(f"{hashsum} {entry.token}\n")
    if tokens_in == "tokens file":
        with open(os.path.join(index, "host-1-abcd.tokens"), "w") as file:
            file.writelines(lines)
    for name in os.listdir(os.path.join(checkpoint_dir, "segments")):
        os.remove(os.path.join(checkpoint_dir, "segments", name))
    os.rmdir(os.path.join(checkpoint_dir, "segments"))
    os.rmdir(os.path.join(checkpoint_dir, "pending"))


def written_entries(checkpoint_dir, part):
    """The entries whole in the segments of ``part`` (``"segments"`` or ``"pending"``):
    a write a kill interrupted leaves half a record, never an entry."""
    directory = os.path.join(checkpoint_dir, part)
    if not os.path.isdir(directory):
        return []
    return [Entry(path, record.token, record.offset) for path in segment_files(checkpoint_dir, part)
            for record in scan_path(path)[0]]
