"""Face verification benchmark: LFW pairs or all pairs, this package's pipeline next to the stock one.

The stock pipeline is face_recognition as its README uses it: ``face_locations`` (HOG, one 2x upsample),
the first of ``face_encodings`` (5-point alignment, one jitter), tolerance 0.6; an image where it finds no
face is a failure to acquire. Templates are computed once per image (optionally in two worker processes)
and kept in memory only.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from biometrics import metrics
from biometrics.calibration import calibrate, cross_person_scores
from biometrics.detect import detect_reference
from biometrics.images import ImageError, decode_image
from biometrics.landmarks import fit_landmarks
from biometrics.matcher import EncoderOptions, distance, distance_matrix, encode
from biometrics.stock import StockUnavailable, face_recognition_module

STOCK_TOLERANCE = 0.6


class BenchError(ValueError):
    """Unreadable pairs file or image folder."""


@dataclass(frozen=True)
class Pair:
    first: Path
    second: Path
    genuine: bool
    fold: int


def image_path(images: Path, name: str, number: int) -> Path:
    return images / name / f"{name}_{number:04d}.jpg"


def read_pairs(path: Path, images: Path, folds: Sequence[int] | None = None) -> list[Pair]:
    """Pairs in LFW ``pairs.txt`` format: a ``folds<TAB>n`` header, then per fold n matched, n mismatched."""
    try:
        lines = [ln.split() for ln in Path(path).read_text().splitlines() if ln.strip()]
    except OSError as exc:
        raise BenchError(f"cannot read pairs file {path}: {exc}") from exc
    if not lines or len(lines[0]) != 2:
        raise BenchError(f"{path}: first line must be '<folds> <pairs per class>'")
    try:
        n_folds, per_class = int(lines[0][0]), int(lines[0][1])
        pairs = []
        for k, fields in enumerate(lines[1:]):
            fold = k // (2 * per_class) + 1
            if len(fields) == 3:
                pair = Pair(
                    image_path(images, fields[0], int(fields[1])),
                    image_path(images, fields[0], int(fields[2])),
                    True,
                    fold,
                )
            elif len(fields) == 4:
                pair = Pair(
                    image_path(images, fields[0], int(fields[1])),
                    image_path(images, fields[2], int(fields[3])),
                    False,
                    fold,
                )
            else:
                raise BenchError(f"{path}:{k + 2}: expected 3 or 4 fields, got {len(fields)}")
            if folds is None or fold in folds:
                pairs.append(pair)
    except ValueError as exc:
        raise BenchError(f"{path}: {exc}") from exc
    if len(lines) - 1 != n_folds * 2 * per_class:
        raise BenchError(
            f"{path}: header announces {n_folds * 2 * per_class} pairs, file has {len(lines) - 1}"
        )
    return pairs


def person_images(images: Path) -> list[tuple[str, Path]]:
    """(person, image) for every image of a folder holding one sub-folder per person."""
    out = [
        (d.name, f)
        for d in sorted(Path(images).iterdir())
        if d.is_dir()
        for f in sorted(d.iterdir())
        if f.suffix.lower() in (".jpg", ".jpeg", ".png")
    ]
    if not out:
        raise BenchError(f"no images under {images}")
    return out


# --- pipelines: path -> (descriptor or None, milliseconds) -------------------------------------------


def _read(path: Path) -> np.ndarray:
    return decode_image(Path(path).read_bytes())


def encode_egate(path: Path, options: EncoderOptions | None = None) -> tuple[np.ndarray | None, float]:
    image = _read(path)
    start = time.perf_counter()
    box = detect_reference(image, use_cnn=True, allow_centred=True)
    if box is None:
        return None, (time.perf_counter() - start) * 1000.0
    template = encode(image, box, fit_landmarks(image, box), options, source="reference")
    return template.vector, (time.perf_counter() - start) * 1000.0


def encode_stock(path: Path) -> tuple[np.ndarray | None, float]:
    face_recognition = face_recognition_module()
    image = _read(path)
    start = time.perf_counter()
    boxes = face_recognition.face_locations(image)
    if not boxes:
        return None, (time.perf_counter() - start) * 1000.0
    vector = face_recognition.face_encodings(image, boxes)[0]
    return np.asarray(vector, dtype=np.float32), (time.perf_counter() - start) * 1000.0


PIPELINES: dict[str, Callable[[Path], tuple[np.ndarray | None, float]]] = {
    "egate": encode_egate,
    "stock": encode_stock,
}


def _encode_one(job: tuple[str, Path]) -> tuple[np.ndarray | None, float]:
    name, path = job
    try:
        return PIPELINES[name](path)
    except (ImageError, OSError):
        return None, 0.0


@dataclass
class Encoded:
    """Descriptors (rows; NaN where no usable face) and per-image encode time."""

    vectors: np.ndarray
    ms: np.ndarray

    @property
    def fta(self) -> int:
        return int(np.isnan(self.vectors[:, 0]).sum())


def encode_images(
    paths: Sequence[Path], pipeline: str, workers: int = 1, progress: Callable[[int, int], None] | None = None
) -> Encoded:
    jobs = [(pipeline, p) for p in paths]
    results: list[tuple[np.ndarray | None, float]] = []
    if workers > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for r in pool.imap(_encode_one, jobs, chunksize=8):
                results.append(r)
                if progress and len(results) % 200 == 0:
                    progress(len(results), len(jobs))
    else:
        for job in jobs:
            results.append(_encode_one(job))
            if progress and len(results) % 200 == 0:
                progress(len(results), len(jobs))
    vectors = np.full((len(paths), 128), np.nan, dtype=np.float32)
    for i, (vec, _) in enumerate(results):
        if vec is not None:
            vectors[i] = vec
    return Encoded(vectors, np.array([ms for _, ms in results]))


def _pair_distances(vectors: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = np.linalg.norm(vectors[a].astype(np.float64) - vectors[b].astype(np.float64), axis=1)
    return np.where(np.isnan(d), np.inf, d)


def pairs_scores(
    pairs: Sequence[Pair], encoded: Encoded, index: dict[Path, int]
) -> tuple[np.ndarray, np.ndarray]:
    a = np.array([index[p.first] for p in pairs])
    b = np.array([index[p.second] for p in pairs])
    same = np.array([p.genuine for p in pairs])
    d = _pair_distances(encoded.vectors, a, b)
    return d[same], d[~same]


def all_pairs_scores(
    people: Sequence[str], encoded: Encoded, block: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """Every unordered pair of images: same person genuine, else impostor; a failure to acquire is a
    non-match (infinite distance)."""
    return cross_person_scores(encoded.vectors, list(people), block, keep_failures=True)


def compare_us_median(vectors: np.ndarray, samples: int = 2000) -> float:
    """Median time of one template comparison (``matcher.distance``) in microseconds."""
    ok = vectors[~np.isnan(vectors[:, 0])]
    if len(ok) < 2:
        return float("nan")
    rng = np.random.default_rng(0)
    i = rng.integers(0, len(ok), samples)
    j = rng.integers(0, len(ok), samples)
    times = []
    for a, b in zip(i, j, strict=True):
        start = time.perf_counter()
        distance(ok[a], ok[b])
        times.append((time.perf_counter() - start) * 1e6)
    return float(np.median(times))


def report(
    genuine: np.ndarray, impostor: np.ndarray, encoded: Encoded, threshold: float
) -> dict[str, object]:
    out = metrics.summary(genuine, impostor, threshold)
    out["fta"] = encoded.fta
    out["images"] = int(len(encoded.ms))
    out["encode_ms_median"] = float(np.median(encoded.ms)) if len(encoded.ms) else float("nan")
    out["compare_us_median"] = compare_us_median(encoded.vectors)
    return out


def _require_matplotlib() -> None:
    """matplotlib draws the DET plot only; it is the optional extra ``egate[plots]``."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise BenchError("the DET plot needs matplotlib: pip install 'egate[plots]'") from None


def det_plot(
    curves: Iterable[tuple[str, np.ndarray, np.ndarray, float | None]], path: Path, title: str
) -> None:
    """DET curves (FNMR against FMR, log axes) with each operating point marked; written to ``path``."""
    _require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    for label, genuine, impostor, threshold in curves:
        _, fmr, fnmr = metrics.det_curve(genuine, impostor, points=3000)
        keep = (fmr > 0) & (fnmr > 0)
        (line,) = ax.loglog(fmr[keep], fnmr[keep], label=label)
        if threshold is not None:
            op_fmr, op_fnmr = metrics.fmr_fnmr(genuine, impostor, threshold)
            # A rate of zero has no place on log axes: draw it at half of one error in this many trials.
            x = op_fmr if op_fmr > 0 else 0.5 / max(1, impostor.size)
            y = op_fnmr if op_fnmr > 0 else 0.5 / max(1, genuine.size)
            fmr_text = f"{op_fmr:.2%}" if op_fmr > 0 else f"< {1 / max(1, impostor.size):.2%}"
            ax.plot(
                [x],
                [y],
                "o",
                color=line.get_color(),
                label=f"{label}: threshold {threshold:.3f} (FMR {fmr_text}, FNMR {op_fnmr:.2%})",
            )
    ax.axvline(1e-3, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("false match rate (FMR)")
    ax.set_ylabel("false non-match rate (FNMR, failures to acquire included)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_match_bench(
    images: Path,
    *,
    pairs_file: Path | None = None,
    threshold: float,
    target_fmr: float = 1e-3,
    workers: int = 2,
    stock: bool = True,
    folds: Sequence[int] | None = None,
    det_plot_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """The whole benchmark: pairs file given → LFW protocol, else all pairs of ``images``.

    The result also holds ``calibration``: the threshold for ``target_fmr`` from every cross-person
    comparison of the encoded images (all of them, in either mode), and the error rates there.
    """
    images = Path(images)
    if not images.is_dir():
        raise BenchError(f"no image folder {images}")
    if pairs_file is not None:
        pairs = read_pairs(pairs_file, images, folds)
        paths = sorted({p.first for p in pairs} | {p.second for p in pairs})
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise BenchError(f"{len(missing)} images of the pairs file are missing, e.g. {missing[0]}")
        people = [p.parent.name for p in paths]
    else:
        listed = person_images(images)
        people = [name for name, _ in listed]
        paths = [p for _, p in listed]
    index = {p: i for i, p in enumerate(paths)}
    pipelines = ["egate", "stock"] if stock else ["egate"]
    if stock:
        try:
            face_recognition_module()
        except StockUnavailable as exc:
            raise BenchError(f"{exc}; or leave the stock pipeline out (--no-stock)") from None
    if det_plot_path is not None:
        _require_matplotlib()
    result: dict[str, object] = {"mode": "pairs" if pairs_file else "all-pairs", "images_dir": str(images)}
    curves = []
    for name in pipelines:

        def tick(done: int, total: int, name: str = name) -> None:
            if progress:
                progress(f"{name}: {done}/{total} images encoded")

        start = time.perf_counter()
        encoded = encode_images(paths, name, workers, tick)
        wall = time.perf_counter() - start
        if pairs_file is not None:
            genuine, impostor = pairs_scores(pairs, encoded, index)
        else:
            genuine, impostor = all_pairs_scores(people, encoded)
        t = threshold if name == "egate" else STOCK_TOLERANCE
        block = report(genuine, impostor, encoded, t)
        block["encode_wall_s"] = wall
        g_all, i_all = cross_person_scores(encoded.vectors, people)
        try:
            cal = calibrate(g_all, i_all, target_fmr)
            cal_block: dict[str, object] = cal.as_dict()
            cal_block["fmr_fnmr_on_benchmark"] = dict(
                zip(("fmr", "fnmr"), metrics.fmr_fnmr(genuine, impostor, cal.threshold), strict=True)
            )
            block["calibration"] = cal_block
        except ValueError as exc:
            block["calibration"] = {"error": str(exc)}
        if name == "egate":
            block["fusion"] = _fusion_block(encoded.vectors, people)
            result.update(block)
        else:
            result["stock"] = block
        curves.append((f"{'egate' if name == 'egate' else 'stock face_recognition'}", genuine, impostor, t))
    if det_plot_path is not None:
        det_plot(curves, Path(det_plot_path), f"LFW {result['mode']}: DET")
    return result


def fusion_scores(
    vectors: np.ndarray, people: Sequence[str], probes: int = 3
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Multi-frame fusion, imitated with people who have ``probes + 1`` images or more: the first image is
    the reference, the next ``probes`` the live frames. Genuine: a person's reference against their own
    probes; impostor: against every other person's probes. Returns (genuine, impostor) per fusion rule.
    Photographs of one person differ more than frames of one capture, so this favours fusion if anything.
    """
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(people):
        if not np.isnan(vectors[i, 0]):
            groups.setdefault(p, []).append(i)
    chosen = [rows[: probes + 1] for rows in groups.values() if len(rows) > probes]
    if len(chosen) < 2:
        raise BenchError("fewer than two people with enough images for the fusion comparison")
    refs = vectors[[rows[0] for rows in chosen]].astype(np.float64)
    probe_rows = np.array([rows[1:] for rows in chosen])  # people x probes
    d = np.stack([distance_matrix(refs, vectors[probe_rows[:, k]]) for k in range(probes)], axis=2)
    same = np.eye(len(chosen), dtype=bool)
    rules = {"single": d[:, :, 0], "best": d.min(axis=2), "mean": d.mean(axis=2)}
    return {name: (m[same], m[~same]) for name, m in rules.items()}


def _fusion_block(vectors: np.ndarray, people: Sequence[str]) -> dict[str, object]:
    """FNMR at FMR 1e-2 / 1e-3 (each rule at its own threshold) for single, best-of and mean-of 3 frames."""
    try:
        rules = fusion_scores(vectors, people, probes=3)
    except BenchError as exc:
        return {"error": str(exc)}
    out: dict[str, object] = {}
    for name, (genuine, impostor) in rules.items():
        out[name] = {
            "genuine": int(genuine.size),
            "impostor": int(impostor.size),
            "eer": metrics.eer(genuine, impostor),
            "fnmr_at_fmr": {
                k: metrics.fnmr_at_fmr(genuine, impostor, t) for k, t in metrics.FMR_TARGETS.items()
            },
        }
    return out
