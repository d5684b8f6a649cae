"""Versioned model artefacts on disk: what the weekly training writes and the daily scoring loads.

A trained model is one file, `<root>/<name>/<version>.joblib`, named by the first 12 hex digits
of the SHA-256 of its bytes, and a manifest beside it, `<version>.json`: the full hash, the
as-of date whose data trained it, the training cutoff, the horizon, the features, the
validation metrics and the library versions. Loading re-hashes the file and refuses one whose
bytes differ from its manifest (a pickle is code: only our own, unaltered files are unpickled)
and one written by another scikit-learn version (its pickles are not portable across versions).

Why files and not a table: the artefact must survive a rebuilt warehouse, be copied between
machines and be inspected by hand; the warehouse gets a registry table of the manifests.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import platform
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import joblib
import sklearn


class ModelStoreError(RuntimeError):
    """An artefact that must not be loaded: named with its file and the reason."""


@dataclass(frozen=True)
class Artefact:
    name: str
    version: str
    path: Path
    manifest: dict

    @property
    def trained_as_of(self) -> date:
        return date.fromisoformat(self.manifest["trained_as_of"])


def runtime() -> dict[str, str]:
    """The library versions an artefact is tied to."""
    return {"sklearn_version": sklearn.__version__, "python_version": platform.python_version()}


class ModelStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def save(self, name: str, model: object, manifest: dict) -> Artefact:
        """Write `model` and its manifest; the same model gives the same bytes and version, so a
        rerun rewrites the same files (idempotent)."""
        buffer = io.BytesIO()
        joblib.dump(model, buffer, compress=3)
        data = buffer.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        version = digest[:12]
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{version}.joblib"
        full = {**manifest, "name": name, "version": version, "sha256": digest, "file": path.name,
                "bytes": len(data), **runtime()}
        _write_atomically(path, data)
        _write_atomically(folder / f"{version}.json",
                          json.dumps(full, indent=2, sort_keys=True, ensure_ascii=False, default=str).encode())
        return Artefact(name, version, path, full)

    def artefacts(self, name: str) -> list[Artefact]:
        """Every artefact of `name` with a readable manifest, oldest training first."""
        folder = self.root / name
        found = []
        for manifest_path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ModelStoreError(f"{manifest_path}: unreadable manifest ({exc})") from exc
            found.append(Artefact(name, manifest_path.stem, folder / manifest.get("file", ""), manifest))
        return sorted(found, key=lambda a: (a.manifest.get("trained_as_of", ""), a.version))

    def latest(self, name: str, trained_by: date, match: dict | None = None) -> Artefact | None:
        """The newest artefact trained on data up to `trained_by` (none later: scoring an earlier
        as-of date with a model that saw later data would leak the future) whose manifest agrees
        with `match` and with this runtime's library versions."""
        want = {**runtime(), **(match or {})}
        usable = [a for a in self.artefacts(name)
                  if a.manifest.get("trained_as_of", "9999") <= trained_by.isoformat()
                  and all(a.manifest.get(k) == v for k, v in want.items())]
        return usable[-1] if usable else None

    def load(self, artefact: Artefact) -> object:
        try:
            data = artefact.path.read_bytes()
        except OSError as exc:
            raise ModelStoreError(f"{artefact.path}: cannot read the model file ({exc})") from exc
        digest = hashlib.sha256(data).hexdigest()
        if digest != artefact.manifest.get("sha256"):
            raise ModelStoreError(
                f"{artefact.path}: content hash {digest[:12]} does not match its manifest "
                f"({str(artefact.manifest.get('sha256'))[:12]}): the file was changed; refusing to load it")
        try:
            return joblib.load(io.BytesIO(data))
        except (pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError) as exc:
            raise ModelStoreError(f"{artefact.path}: cannot load the model ({exc})") from exc


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
