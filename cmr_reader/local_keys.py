"""Keys a site has without configuring them: made once, kept in a file beside the embedded database.

The settings read SECRET_KEY and PSEUDONYM_KEY from the environment. Where the environment has
none and the site runs on its embedded defaults, each key is a random value written once under
``DATA_DIR/keys/`` (readable by its owner only) and read back on every later start, by every
process: the web server and the worker agree, and nobody else's copy of this source code holds the
key. There is no built-in key that a site could run on by mistake.

Django-free: the settings module imports it before Django is set up.
"""

import os
import secrets
from pathlib import Path

KEY_BYTES = 48


def local_key(path: Path) -> str:
    """The key stored at ``path``, made first if there is none.

    Two processes starting at once both try to create the file; exactly one link succeeds and both
    then read the winner's key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(KEY_BYTES) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise ValueError(f"the key file {path} is empty; delete it to make a new key")
    return key
