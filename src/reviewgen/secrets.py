"""Which names hold credentials: params must never carry them (they would be copied into dvc.lock and
MLflow), and tracking drops them from what it logs. Credentials come from the environment only."""

from __future__ import annotations

import re

# A key part is secret when one of its words is one of these, or it ends in "token": `client_secret`,
# `clientSecret`, `SPOTIPY_CLIENT_ID`, `hf_token` match; `max_tokens`, `tokenizer`, `min_token_freq` do not.
_SECRET_WORDS = r"secret|password|passwd|credentials?|api_?key|apikey|client_id|access_key|private_key"
_SECRET = re.compile(rf"(^|_)({_SECRET_WORDS})(_|$)|(^|_)token$")
# Special-token names are vocabulary settings, not credentials.
_SPECIAL_TOKEN = re.compile(r"^(unk|pad|bos|eos|sos|sep|cls|mask|start|end)_token$")
# The environment variable a user should set instead of a secret-looking param.
ENVIRONMENT = {
    "client_id": "SPOTIPY_CLIENT_ID",
    "client_secret": "SPOTIPY_CLIENT_SECRET",
    "token": "MLFLOW_TRACKING_TOKEN",
    "password": "MLFLOW_TRACKING_PASSWORD",
}


def is_secret_key(key: str) -> bool:
    """Whether a param/env name looks like it holds a credential (case-insensitive, camelCase aware)."""
    for part in re.split(r"[./]+", key):
        word = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", part).lower().replace("-", "_").replace(" ", "_")
        if _SECRET.search(word) and not _SPECIAL_TOKEN.match(word):
            return True
    return False


def environment_variable_for(key: str) -> str:
    """The environment variable that holds what a secret-looking param ``key`` tried to hold."""
    leaf = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key.rsplit(".", 1)[-1]).lower()
    for word, variable in ENVIRONMENT.items():
        if word in leaf:
            return variable
    return "an environment variable read by the code that needs it"
