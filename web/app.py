"""The Flask application factory."""
from __future__ import annotations

from flask import Flask, jsonify, render_template

from indexer.generation import Generation
from indexer.store import DataDir
from web.settings import Settings


class State:
    """The generation being served; re-read when the data folder switches to a newer one."""

    def __init__(self, settings: Settings):
        self.store = DataDir(settings.data_dir)
        self._gen: Generation | None = None

    def generation(self) -> Generation:
        folder = self.store.require_current()
        if self._gen is None or self._gen.folder != folder:
            self._gen = Generation(folder)
        return self._gen


def create_app(settings: Settings) -> Flask:
    app = Flask(__name__)
    app.config["SETTINGS"] = settings
    state = State(settings)
    app.extensions["policykg"] = state

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/")
    def home():
        gen = state.generation()
        return render_template("home.html", documents=gen.documents, meta=gen.meta)

    return app
