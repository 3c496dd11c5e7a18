"""Image folders as users have them: classes in nested folders, hidden files, a stray image at the
root, one image of each mode and orientation in a class folder, a file among those to predict that
is no image; and `model.json` followed by a consumer of its own (onnxruntime, numpy, Pillow)."""

from __future__ import annotations

import base64
import csv
import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from PIL import Image, ImageOps

from {{ cookiecutter.package_name }} import load_model
from {{ cookiecutter.package_name }}.checkpoint.export import export
from {{ cookiecutter.package_name }}.data.images import read_image
from {{ cookiecutter.package_name }}.data.task import ImageFiles, list_images
from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

from .conftest import TrainedRun
from .messy_images import HIDDEN_COLOUR, sixteen_bit, top_opaque_rgba, turned_photo, write_messy_images

TINTS = {"a": (40, 160, 90), "b": (170, 60, 200)}


def write_image(path: Path, colour: tuple[int, int, int] = (90, 90, 90)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (6, 4), colour).save(path, format="PNG")


def test_the_class_is_the_top_level_folder_whatever_lies_below_and_hidden_files_are_nothing(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    for name in ("cat/indoor/1.png", "cat/outdoor/2.png", "cat/3.png", "dog/indoor/1.png", "dog/outdoor/deep/2.png"):
        write_image(root / name)
    for name in ("dog/.ipynb_checkpoints/1-checkpoint.png", "dog/._1.png", ".thumbnails/bird/9.png"):
        write_image(root / name)
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / "cat" / "._3.png").write_bytes(b"\0\5\26\7 AppleDouble")  # macOS's resource fork: no image
    catalog = list_images(root)
    assert catalog.class_names == ["cat", "dog"]
    assert dict(zip(catalog.sample_ids, catalog.label_names, strict=True)) == {
        "cat/3.png": "cat",
        "cat/indoor/1.png": "cat",
        "cat/outdoor/2.png": "cat",
        "dog/indoor/1.png": "dog",
        "dog/outdoor/deep/2.png": "dog",
    }

    # With split folders, the class is the folder under the split's.
    split = tmp_path / "split"
    for name in ("train/cat/indoor/1.png", "train/dog/2.png", "val/cat/3.png", "test/dog/outdoor/4.png"):
        write_image(split / name)
    catalog = list_images(split)
    assert catalog.class_names == ["cat", "dog"]
    assert catalog.label_names == ["dog", "cat", "dog", "cat"]  # in the order of their paths
    assert catalog.sample_ids[0] == "test/dog/outdoor/4.png"


def test_images_outside_any_class_folder_are_refused_by_name(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    write_image(root / "cat" / "1.png")
    write_image(root / "dog" / "1.png")
    for number in range(7):
        write_image(root / f"stray{number}.png")
    with pytest.raises(ValueError, match=r"7 image\(s\) directly in it, outside any class folder") as error:
        list_images(root)
    message = str(error.value)
    assert "stray0.png" in message and "stray4.png" in message and "(7 in all)" in message
    assert "stray6.png" not in message

    split = tmp_path / "split"
    write_image(split / "train" / "cat" / "1.png")
    write_image(split / "train" / "dog" / "1.png")
    write_image(split / "train" / "lost.png")
    with pytest.raises(ValueError, match=r"1 image\(s\) directly in a split folder .*train/lost\.png"):
        list_images(split)

    # Split folders beside a class folder: which is which cannot be told.
    write_image(split / "val" / "cat" / "1.png")
    write_image(split / "zebra" / "1.png")
    with pytest.raises(ValueError, match=r"split folders \(train, val\) beside other folders \(zebra\)"):
        list_images(split)
    # One folder named train among class folders is a class, as in bus/, car/, train/.
    vehicles = tmp_path / "vehicles"
    for name in ("bus/1.png", "car/1.png", "train/1.png"):
        write_image(vehicles / name)
    assert list_images(vehicles).class_names == ["bus", "car", "train"]


def test_every_mode_and_orientation_trains_predicts_and_serves_alike(tmp_path: Path) -> None:
    """One image of each mode in every class folder (CMYK JPEG, P, P with a transparent colour, L,
    I;16, RGBA, LA, an EXIF-turned JPEG): the cache, the files read at every epoch, `predict`, the
    Python API and a served request all give the model the same pixels, decoded as documented."""
    root = tmp_path / "mixed"
    for split in ("train", "val", "test"):
        for label, tint in TINTS.items():
            write_messy_images(root / split / label, tint)
    common = ["--data.data_dir", str(root), "--data.num_workers", "0", "--data.batch_size", "8"]
    cli = main(["fit", *common, "--trainer.max_epochs", "1", "--trainer.enable_progress_bar", "false"])
    datamodule = cli.datamodule
    assert datamodule.class_names == ["a", "b"]
    size = datamodule.image_size
    checkpoint = run_dir(cli.trainer) / "checkpoints" / "best.ckpt"
    model = load_model(checkpoint)

    cached = np.load(datamodule.decoded_images(), mmap_mode="r")
    files = dict(zip(datamodule.sample_ids, datamodule.catalog.files, strict=True))
    every_epoch = ImageFiles(list(files.values()), [0] * len(files), size)
    for row, (sample_id, path) in enumerate(files.items()):
        expected = read_image(path, size)
        served = model.read_input(model.parse_request({"image": base64.b64encode(path.read_bytes()).decode()}))
        for way, pixels in (
            ("cache", torch.from_numpy(np.array(cached[row]))),
            ("every epoch", every_epoch[row][0]),
            ("python api", model.read_input(str(path))["images"]),
            ("serve", served["images"]),
        ):
            torch.testing.assert_close(pixels, expected, msg=f"{sample_id}: {way}")

    test_folder = root / "test" / "a"
    inputs = {name: read_image(test_folder / name, size).float() for name in ("grey16.png", "exif_rotated.jpg")}
    grey = inputs["grey16.png"]
    assert grey.min() < 10 and grey.max() > 245, "the 16-bit image is not stretched over its range"
    assert grey[:, :, : size // 4].mean() < grey[:, :, -size // 4 :].mean() - 150  # the ramp, dark to light
    photo = inputs["exif_rotated.jpg"]
    assert photo[:, : size // 3].mean() < 30 < 225 < photo[:, -size // 3 :].mean(), "the photo is not upright"
    for name in ("rgba.png", "grey_alpha.png", "palette_transparent.png"):
        bottom = read_image(test_folder / name, size)[:, size * 5 // 8 :]
        assert (bottom == 255).all(), f"{name}: transparent pixels are not white"
        assert not (bottom == torch.tensor(HIDDEN_COLOUR)[:, None, None]).all(dim=0).any()

    predicted = main(
        ["predict", *common, "--data.predict_dir", str(root / "test"), "--ckpt_path", str(checkpoint),
         "--trainer.enable_progress_bar", "false"]
    )  # fmt: skip
    with (run_dir(predicted.trainer) / "predictions.csv").open() as file:
        rows = list(csv.DictReader(file))
    answers = model.predict([row["path"] for row in rows])
    assert sorted(row["sample_id"] for row in rows) == sorted(
        path.relative_to(root / "test").as_posix() for path in (root / "test").rglob("*.*")
    )
    for row, answer in zip(rows, answers, strict=True):
        assert row["true_class"] == row["sample_id"].split("/")[0]
        assert row["predicted_class"] == answer["label"]
        assert float(row["probability"]) == pytest.approx(answer["probabilities"][answer["label"]], abs=1e-5)
    assert not (run_dir(predicted.trainer) / "predictions-skipped.csv").exists()


def test_an_unreadable_file_among_those_to_predict_is_skipped_and_listed(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path
) -> None:
    folder = tmp_path / "to_predict"
    images = write_messy_images(folder / "phone")
    (folder / "x.jpg").write_text("this is a note, not a photo")
    cut = folder / "phone" / "cut.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(cut)
    cut.write_bytes(cut.read_bytes()[:5000])
    checkpoint = str(trained_run.folder / "checkpoints" / "best.ckpt")
    said = r"Skipped 2 input\(s\) that could not be read.*cut\.png.*x\.jpg.*predictions-skipped\.csv"
    with pytest.warns(UserWarning, match=said):
        cli = main(
            ["predict", *data_args, "--data.predict_dir", str(folder), "--ckpt_path", checkpoint,
             "--trainer.enable_progress_bar", "false"]
        )  # fmt: skip
    with (run_dir(cli.trainer) / "predictions.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert sorted(row["sample_id"] for row in rows) == sorted(f"phone/{path.name}" for path in images.values())
    assert all(row["true_class"] == "" for row in rows)  # "phone" is none of the model's classes
    with (run_dir(cli.trainer) / "predictions-skipped.csv").open() as file:
        skipped = list(csv.DictReader(file))
    assert [Path(row["input"]).name for row in skipped] == ["cut.png", "x.jpg"]
    assert "Cannot read it as an image" in skipped[1]["reason"]


def consume(export_dir: Path, files: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """What a program that knows nothing of the project does with `model.json` and `model.onnx`,
    with onnxruntime, numpy and Pillow alone: the graph's input batch, and its outputs."""
    info = json.loads((export_dir / "model.json").read_text())
    spec = info["inputs"][0]
    decoding, resize = spec["decoding"], spec["resize"]
    batch = []
    for path in files:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened)
        if image.mode in decoding["high_bit_depth"]["modes"]:
            values = np.asarray(image, dtype=np.float64)
            low, high = values.min(), values.max()
            stretched = np.floor((values - low) * 255 / (high - low) + 0.5) if high > low else np.zeros(values.shape)
            image = Image.fromarray(stretched.astype(np.uint8))
        if image.mode in decoding["transparency"]["modes"] or "transparency" in image.info:
            rgba = np.asarray(image.convert("RGBA"), dtype=np.uint32)
            alpha, background = rgba[..., 3:], np.array(decoding["transparency"]["background"], dtype=np.uint32)
            mixed = (rgba[..., :3] * alpha + background * (255 - alpha) + 127) // 255
            image = Image.fromarray(mixed.astype(np.uint8))
        else:
            image = image.convert("RGB")
        image = image.resize(tuple(resize["size"]), getattr(Image.Resampling, resize["filter"]))
        batch.append(np.asarray(image).transpose(2, 0, 1))
    inputs = np.stack(batch)
    session = onnxruntime.InferenceSession(str(export_dir / "model.onnx"))
    return inputs, session.run(None, {spec["name"]: inputs})[0]


@pytest.mark.deploy
@pytest.mark.slow
def test_a_consumer_that_follows_model_json_predicts_as_the_python_api(trained_run: TrainedRun, tmp_path: Path) -> None:
    """Images of other sizes and modes than the training ones (16 x 16 RGB): a 200 x 300 RGBA, a
    16-bit greyscale, a palette image, a turned phone photo, CMYK. The consumer's input pixels equal
    the project's exactly, and its probabilities are within 1e-4 of `predict`'s (float32 rounding of
    two runtimes)."""
    checkpoint = str(trained_run.folder / "checkpoints" / "best.ckpt")
    export(checkpoint, str(tmp_path / "export"))
    folder = tmp_path / "images"
    folder.mkdir()
    files = [folder / name for name in ("large.png", "deep.png", "palette.png", "turned.jpg", "print.jpg")]
    top_opaque_rgba(200, 300).save(files[0])
    sixteen_bit(45, 70).save(files[1])
    rng = np.random.default_rng(3)
    colourful = Image.fromarray(rng.integers(0, 256, (50, 80, 3), dtype=np.uint8))
    colourful.convert("P", palette=Image.Palette.ADAPTIVE, colors=32).save(files[2])
    photo = turned_photo(120, 90)
    photo.save(files[3], exif=photo.getexif().tobytes(), quality=90)
    colourful.convert("CMYK").save(files[4], quality=90)

    model = load_model(checkpoint)
    inputs, probabilities = consume(tmp_path / "export", files)
    for index, path in enumerate(files):
        np.testing.assert_array_equal(inputs[index], model.read_input(str(path))["images"].numpy(), err_msg=path.name)
    classes = json.loads((tmp_path / "export" / "model.json").read_text())["classes"]
    expected = np.array([[answer["probabilities"][name] for name in classes] for answer in model.predict(files)])
    np.testing.assert_allclose(probabilities, expected, rtol=0, atol=1e-4)
