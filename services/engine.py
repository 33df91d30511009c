"""The matching engine inside the service: loaded at start, swapped whole on reload.

Requests read ``self.served`` once and keep that object for their whole computation, so a
reload (admin, or after opportunity writes) builds the new catalogue beside the old one and
replaces the reference: no request is dropped or sees half an engine.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from data_contracts.versions import Versions
from matching.ad_coding import AdCoder
from matching.browse import CatalogueBrowser
from matching.catalogue import OpportunityCatalogue
from matching.embedding_cache import EmbeddingCache
from matching.encoder import Encoder, served_encoder
from matching.engine import ad_coder, cache_path, load_engine, title_linker
from matching.occupations import OccupationLinker
from matching.profile import ProfileView, prepare_views
from matching.reranker import Reranker
from matching.shortlist import ENGINE_VERSION
from services.schemas import ModelInfo
from tremplin.errors import NotReadyError
from tremplin.settings import Settings

log = logging.getLogger(__name__)
PREPARE_BATCH = 256  # profiles whose texts are embedded together at start


def limit_compute_threads(n: int) -> None:
    """Cap the thread pools of the numerical libraries loaded in this process (BLAS, OpenMP,
    torch, ONNX Runtime, FAISS) at ``n``; a library loaded later is not capped, so the engine calls this
    after loading everything it serves with.

    OpenMP's cap is a per-thread setting: it holds for the calling thread (and threads that
    OpenMP itself starts), not for the request threads of the server, which
    :func:`cap_this_thread` caps in turn."""
    import faiss
    from threadpoolctl import threadpool_limits

    from matching.onnx_encoder import set_threads

    threadpool_limits(limits=n)
    if "torch" in sys.modules:  # the torch runtime is loaded (the int8 one never imports it)
        sys.modules["torch"].set_num_threads(n)
    set_threads(n)
    faiss.omp_set_num_threads(n)
    _capped.threads = n


_capped = threading.local()


def cap_this_thread(n: int) -> None:
    """Cap OpenMP at ``n`` threads in the calling thread (once per thread and value).

    ``omp_set_num_threads`` sets the calling thread's own limit, and each new thread starts
    from the process default (the core count): without this, the re-ranker's trees ran on
    every core from each request thread, and the OpenMP threads of two workers spun against
    each other (measured: a third of the server's samples in tree prediction)."""
    if getattr(_capped, "threads", None) == n:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n, user_api="openmp")
    _capped.threads = n


@dataclass(frozen=True)
class Served:
    """One loaded engine, swapped whole on reload: a request that reads it once uses one
    catalogue, its encoder, one re-ranker and the versions that describe them (the audit trail
    never names an index or a model other than the one that ranked)."""

    catalogue: OpportunityCatalogue
    encoder: Encoder
    reranker: Reranker | None
    browser: CatalogueBrowser
    versions: Versions


def served_champion(
    settings: Settings, factory: sessionmaker[Session], current: Reranker | None = None
) -> tuple[Reranker | None, str | None]:
    """The re-ranker to serve and, when the registry's champion was refused, why: the
    champion when it may be served (its promotion audited, its features the engine's); else
    ``current`` (a previous champion, or None: the fusion ranks). Every process that ranks
    (the API, the nightly rescoring) loads it through here."""
    if not settings.use_reranker:
        return None, None
    from matching.champion import ChampionRefusedError, load_champion
    from tremplin.audit import model_change_check

    try:
        reranker = load_champion(settings, current=current, audited=model_change_check(factory))
        return reranker, None
    except ChampionRefusedError as exc:
        log.warning("champion refused: %s", exc)
        return current, str(exc)
    except Exception as exc:  # a broken registry must not stop the service
        log.exception("champion re-ranker could not be loaded; keeping %s", current)
        return current, f"{type(exc).__name__}: {exc}"


class MatchingService:
    """Holds the current catalogue, encoder and title linker."""

    def __init__(
        self, settings: Settings, factory: sessionmaker[Session], one_shot: bool = False
    ) -> None:
        """``one_shot``: a command's engine, loaded at its first use and leaving the numerical
        libraries' threads to the whole machine (a server loads at start and caps them)."""
        self.settings = settings
        self.one_shot = one_shot
        self.factory = factory
        self.served: Served | None = None
        self._writes = 0  # opportunity writes seen by this process
        self._writes_loaded = 0  # of those, how many the served catalogue includes
        self._fingerprint: tuple[object, ...] | None = None  # the opportunity table's, at load
        self._watching = threading.Event()
        self._stopping = threading.Event()
        self._background: list[threading.Thread] = []
        self.error: str | None = None
        self.ranker_refused: str | None = None
        self.loaded_at: float | None = None
        self._linker: OccupationLinker | None = None
        self._linker_lock = threading.Lock()
        self._linker_building = False
        self._reload_lock = threading.Lock()
        self._refresh_pending = threading.Event()
        self._refresher: threading.Thread | None = None
        self.profiles_prepared = 0
        self.listeners: list[Callable[[Versions], None]] = []  # told of every swap

    @property
    def ready(self) -> bool:
        """Whether shortlists can be served."""
        return self.served is not None

    def versions(self) -> Versions:
        """The versions of the engine, encoder, index and re-ranker now served."""
        served = self.served
        return served.versions if served is not None else Versions(engine_version=ENGINE_VERSION)

    def info(self) -> ModelInfo:
        """What is served now, for /readyz and the admin."""
        served = self.served
        return ModelInfo(
            **self.versions().model_dump(),
            ready=self.ready,
            opportunities=len(served.catalogue) if served is not None else 0,
            profiles_prepared=self.profiles_prepared,
            title_linker_ready=self._linker is not None,
            error=self.error,
            ranker_refused=self.ranker_refused,
        )

    def _table_fingerprint(self) -> tuple[object, ...]:
        """Row count and last update of the opportunity table (cheap; changes on any write)."""
        from sqlalchemy import func, select

        from tremplin.store.models import OpportunityRow

        with self.factory() as session:
            row = session.execute(
                select(func.count(), func.max(OpportunityRow.updated_at)).select_from(
                    OpportunityRow
                )
            ).one()
        return tuple(row)

    def watch(self, interval_s: float) -> None:
        """Reload whenever another process (another worker, an import) changed the
        opportunities: checked every ``interval_s`` seconds in a background thread."""
        if interval_s <= 0 or self._watching.is_set():
            return
        self._watching.set()

        def loop() -> None:
            while self._watching.is_set() and not self._stopping.wait(interval_s):
                try:
                    if self.ready and self._table_fingerprint() != self._fingerprint:
                        self.refresh_soon()
                except Exception:  # the database is away: try again next time
                    log.warning("opportunity table check failed", exc_info=True)

        self._in_background(loop)

    def stop(self, timeout_s: float = 30.0) -> None:
        """At shutdown: end the background check, ask the background preparations (profiles'
        vectors, the title linker) to stop at their next step, and wait for them, at most
        ``timeout_s`` in all, so that the process does not exit with a thread inside the
        encoder (which aborts it: "terminate called without an active exception")."""
        self._watching.clear()
        self._stopping.set()
        deadline = time.monotonic() + timeout_s
        for thread in [*self._background, *([self._refresher] if self._refresher else [])]:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _in_background(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        self._background.append(thread)
        thread.start()

    def current_browser(self) -> CatalogueBrowser | None:
        """The served catalogue's browser if it holds every write this process made (else
        None: searches read the database, so a writer always sees its own writes)."""
        served = self.served
        if served is None or self._writes_loaded != self._writes:
            return None
        return served.browser

    def current(self) -> Served:
        """The engine to use for one request (the calling thread gets the compute cap)."""
        served = self.served
        if served is None and self.one_shot:
            self.reload()
            served = self.served
        if served is None:
            if self.error:
                raise NotReadyError("le moteur n'a pas pu se charger", self.error)
            raise NotReadyError("moteur en cours de chargement", "engine loading")
        if not self.one_shot:
            cap_this_thread(self.settings.compute_threads)
        return served

    def reload(self) -> Versions:
        """Build a fresh catalogue from the database and the saved index, then swap it in."""
        with self._reload_lock:
            writes = self._writes
            try:
                fingerprint = self._table_fingerprint()
                encoder = served_encoder(self.settings)
                encoder.warm_up()
                with self.factory() as session:
                    catalogue = load_engine(session, self.settings, encoder)
                reranker = self._champion()
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"
                log.error("matching engine failed to load: %s", self.error)
                raise
            if not self.one_shot:  # now every library is loaded
                limit_compute_threads(self.settings.compute_threads)
            index = catalogue.index
            self.served = Served(
                catalogue=catalogue,
                encoder=encoder,
                reranker=reranker,
                browser=CatalogueBrowser(catalogue),
                versions=Versions(
                    engine_version=ENGINE_VERSION,
                    model_version=encoder.version,
                    index_version=(
                        f"{index.kind}:{len(index)}@{index.updated_at.isoformat()}"
                        if index
                        else None
                    ),
                    ranker_version=reranker.version if reranker else "fusion",
                ),
            )
            self._writes_loaded = writes
            self._fingerprint = fingerprint
            self.error = None
            self.loaded_at = time.time()
        versions = self.versions()
        for listener in self.listeners:
            listener(versions)
        return versions

    def _champion(self) -> Reranker | None:
        """The registry's champion re-ranker (see :func:`served_champion`); a refused one is
        reported by ``readyz.ranker_refused``."""
        served = self.served
        reranker, self.ranker_refused = served_champion(
            self.settings, self.factory, served.reranker if served else None
        )
        return reranker

    def refresh_soon(self) -> None:
        """Reload in the background after opportunity writes (coalesced: one at a time)."""
        self._writes += 1
        self._refresh_pending.set()
        if self._refresher is None or not self._refresher.is_alive():
            self._refresher = threading.Thread(target=self._refresh_loop, daemon=True)
            self._refresher.start()

    def _refresh_loop(self) -> None:
        while self._refresh_pending.is_set():
            self._refresh_pending.clear()
            try:
                self.reload()
            except Exception:  # already logged; the previous catalogue keeps serving
                return

    def prepare_profiles(self) -> None:
        """Embed every stored profile's query in the background (batched, through the
        persistent embedding cache), so shortlists do not wait for the encoder."""
        self._in_background(self._prepare_profiles)

    def _prepare_profiles(self) -> None:
        from sqlalchemy import select

        from data_contracts.models import BeneficiaryProfile
        from tremplin.store.models import BeneficiaryRow

        served = self.served
        if served is None:
            return
        cat, encoder = served.catalogue, served.encoder
        try:
            with self.factory() as session:
                payloads = list(session.scalars(select(BeneficiaryRow.payload)))
        except Exception:  # best effort: shortlists encode on demand instead
            log.warning("stored profiles could not be read for embedding", exc_info=True)
            return
        views = []
        for payload in payloads:
            if self._stopping.is_set():
                return
            views.append(ProfileView.of(BeneficiaryProfile.model_validate(payload), cat))
        try:
            self.embed_queries(encoder, views)
        except Exception:
            log.exception("profile embeddings were not prepared")

    def embed_queries(self, encoder: Encoder, views: Sequence[ProfileView]) -> None:
        """Embed the queries of ``views`` in batches through the persistent embedding cache
        (the encoder then answers them from memory)."""
        kept = [v for v in views if not v.is_empty]
        cache = EmbeddingCache(cache_path(self.settings))
        try:
            for start in range(0, len(kept), PREPARE_BATCH):
                if self._stopping.is_set():
                    return
                chunk = kept[start : start + PREPARE_BATCH]
                prepare_views(chunk, encoder, cache)
                self.profiles_prepared = start + len(chunk)
        finally:
            cache.close()

    def wait_for_refresh(self, timeout: float = 60.0) -> None:
        """Block until a pending background reload is done (tests, admin tools)."""
        thread = self._refresher
        if thread is not None:
            thread.join(timeout)

    def linker(self) -> OccupationLinker:
        """The ESCO title linker (built once, with the served encoder; see ``prepare_linker``)."""
        with self._linker_lock:
            if self._linker is None:
                self._linker = self._build_linker()
            return self._linker

    def ad_coder(self) -> AdCoder:
        """The ad coder (title + description → ROME métier): the served catalogue's, else the
        process's own over the title linker."""
        served = self.served
        if served is not None and served.catalogue.coder is not None:
            return served.catalogue.coder
        linker = self.linker()
        return ad_coder(self.settings, linker.encoder)

    @property
    def linker_ready(self) -> bool:
        """Whether the title linker is built (links are answered without waiting)."""
        return self._linker is not None

    def prepare_linker(self) -> None:
        """Build the title linker in a background thread (once; later calls do nothing)."""
        with self._linker_lock:
            if self._linker is not None or self._linker_building:
                return
            self._linker_building = True
        self._in_background(self._build_linker_in_background)

    def _build_linker_in_background(self) -> None:
        try:
            self.linker()
        except Exception:
            log.exception("the title linker could not be built")
        finally:
            self._linker_building = False

    def _build_linker(self) -> OccupationLinker:
        served = self.served
        if served is not None and served.catalogue.linker is not None:
            return served.catalogue.linker  # the engine's own (built once per process)
        encoder = served.encoder if served is not None else served_encoder(self.settings)
        return title_linker(self.settings, encoder)
