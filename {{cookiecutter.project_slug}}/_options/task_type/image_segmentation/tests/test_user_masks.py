"""Masks as users have them: saved once as JPEG or scaled to be seen, in colours (RGB or palette),
named `<stem>_mask.png` beside their images, with a declared class that training lacks; and what
the run makes of them: its refusals, the predicted masks in the training masks' colours, the
per-class IoU figure."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from {{ cookiecutter.package_name }}.data import ImageSegmentationDataModule, shapes, splits
from {{ cookiecutter.package_name }}.data.task import find_pairs
from {{ cookiecutter.package_name }}.plots.mask_figures import ABSENT, MaskFigures, class_colors
from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

# The data here are one folder of images and one of masks, as users' often are; the predefined split
# needs train/, val/ and test/ folders above them, and its own tests (test_data.py) have them.
pytestmark = pytest.mark.skipif(
    hasattr(splits, "PredefinedSplit"), reason="the data here have no split folders, which the predefined split needs"
)
SIZE = 64  # masks as users' are: large enough that a class is more than its edges
COLORS = [[0, 0, 0], [220, 20, 60], [0, 128, 0], [65, 105, 225]]  # background, then classes 1 to 3
# A palette as a palette PNG (such as Pascal VOC's) holds it: more entries than classes.
PALETTE = [*COLORS, *([[255, 255, 255]] * 252)]


def drawn_masks(count: int, classes: int = 4, seed: int = 0) -> list[np.ndarray]:
    """Masks of class indices: every one holds a rectangle of each class from 1 to `classes` - 1, the
    largest of the class whose turn it is (drawn last, whole), so that every class dominates as many
    masks as the others and a stratified split or k folds find enough of each."""
    rng = np.random.default_rng(seed)
    masks = []
    for number in range(count):
        mask = np.zeros((SIZE, SIZE), dtype=np.uint8)
        dominant = number % (classes - 1) + 1
        for kind in [*(kind for kind in range(1, classes) if kind != dominant), dominant]:
            height, width = (26, 26) if kind == dominant else rng.integers(8, 16, size=2)
            top, left = rng.integers(0, SIZE - 26, size=2)
            mask[top : top + height, left : left + width] = kind
        masks.append(mask)
    return masks


def through_jpeg(mask: np.ndarray) -> np.ndarray:
    """A mask saved once as JPEG (quality 75) and read back, as an editor or a web tool leaves it."""
    buffer = io.BytesIO()
    Image.fromarray(mask).save(buffer, format="JPEG", quality=75)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))


def write_data(
    root: Path,
    masks: list[np.ndarray | Image.Image],
    mask_name: str = "{stem}.png",
    beside: bool = False,
) -> Path:
    """`root/images/<n>.jpg`, each image's pixels a grey of its class, and its mask named `mask_name`,
    in `root/masks/` or, `beside`, in `root/images/`."""
    (root / "images").mkdir(parents=True)
    masks_dir = root / "images" if beside else root / "masks"
    masks_dir.mkdir(exist_ok=True)
    for number, mask in enumerate(masks):
        image = mask if isinstance(mask, Image.Image) else Image.fromarray(mask)
        classes = np.asarray(image.convert("L") if image.mode not in ("L", "P") else image)
        grey = (40 + 60 * (classes.astype(np.int64) % 4)).astype(np.uint8)
        Image.fromarray(np.stack([grey] * 3, axis=-1)).save(root / "images" / f"{number:02d}.jpg", quality=95)
        image.save(masks_dir / mask_name.format(stem=f"{number:02d}"))
    return root


def data_module(root: Path, *args: str) -> ImageSegmentationDataModule:
    """The data module as the configs build it, its linked values computed."""
    args = ["--data.data_dir", str(root), "--data.image_size", "16", "--data.num_workers", "0", *args]
    return main(args, run=False).datamodule


def test_masks_saved_as_jpeg_are_refused_with_the_cause_and_the_fix(tmp_path: Path) -> None:
    clean = drawn_masks(20)
    lossy = [through_jpeg(mask) for mask in clean]
    assert np.unique(np.concatenate(lossy)).max() > 3  # edge noise above the classes
    write_data(tmp_path / "lossy", lossy)
    refused = r"look lossy or scaled: values 4 and 5 hold only [\d.]+ % of the labelled pixels \(4: [\d.]+ %, 5: "
    with pytest.raises(ValueError, match=refused) as error:
        data_module(tmp_path / "lossy")
    assert "Save the masks losslessly (PNG)" in str(error.value)
    assert "--data.class_names" in str(error.value)
    # Naming the classes does not let the noise in: the values beyond them are refused, with the cause.
    with pytest.raises(ValueError, match=r"holds the value 4, which is neither a class .* look lossy or scaled"):
        data_module(tmp_path / "lossy", "--data.class_names", "[background, a, b, c]")
    # The same masks saved losslessly are four classes.
    write_data(tmp_path / "clean", clean)
    assert data_module(tmp_path / "clean").class_names == ["class_0", "class_1", "class_2", "class_3"]


def test_scaled_masks_are_refused_naming_their_values(tmp_path: Path) -> None:
    write_data(tmp_path, [mask * 60 for mask in drawn_masks(20)])
    with pytest.raises(ValueError, match=r"only 4 of the values from 0 to 180 hold pixels \(0, 60, 120 and 180\)"):
        data_module(tmp_path)


def test_the_check_spares_the_shapes_and_rare_classes_that_class_names_declare(tmp_path: Path) -> None:
    shapes.write_shapes(tmp_path / "shapes", {"train": 28, "val": 6, "test": 6})  # enough of each class for k folds
    assert data_module(tmp_path / "shapes").class_names == [f"class_{index}" for index in range(4)]

    # A class of a few pixels in one mask: a real class, if class_names says so.
    masks = drawn_masks(20, classes=3)
    masks[0][:2, :3] = 3
    write_data(tmp_path / "rare", masks)
    with pytest.raises(ValueError, match=r"value 3 holds only"):
        data_module(tmp_path / "rare")
    datamodule = data_module(tmp_path / "rare", "--data.class_names", "[background, road, car, bicycle]")
    assert datamodule.pixel_counts.sum(axis=0)[3] == 6


def test_colour_masks_are_read_with_mask_colors(tmp_path: Path) -> None:
    masks = drawn_masks(20)
    palette = np.asarray(COLORS, dtype=np.uint8)
    write_data(tmp_path, [Image.fromarray(palette[mask]) for mask in masks])
    colors = str(COLORS)
    datamodule = data_module(tmp_path, "--data.mask_colors", colors, "--data.cache_dir", "null")
    assert datamodule.class_names == ["class_0", "class_1", "class_2", "class_3"]
    assert datamodule.mask_palette == COLORS
    row = datamodule.sample_ids.index("00")
    np.testing.assert_array_equal(datamodule.pixel_counts[row], np.bincount(masks[0].ravel(), minlength=4))
    # Read at every epoch or from the cache, the masks are class indices.
    cached = data_module(tmp_path, "--data.mask_colors", colors)
    for each in (datamodule, cached):
        each.prepare_data()
        each.setup("fit")
    for index in range(len(cached.train_dataset)):
        torch.testing.assert_close(cached.train_dataset[index], datamodule.train_dataset[index])
    assert set(np.unique(cached.train_dataset[0][1]).tolist()) <= {0, 1, 2, 3}

    # A colour that no class has is refused, with the mask and the colour.
    stray = palette[masks[3]].copy()
    stray[:2, :2] = (255, 255, 0)
    Image.fromarray(stray).save(tmp_path / "masks" / "03.png")
    refused = r"03\.png holds colours that are none of mask_colors' 4: \[255, 255, 0\] \(4 pixels\)"
    with pytest.raises(ValueError, match=refused):
        data_module(tmp_path, "--data.mask_colors", colors)
    with pytest.raises(ValueError, match=r"mask_colors gives 4 colours and class_names 3 classes"):
        data_module(tmp_path, "--data.mask_colors", colors, "--data.class_names", "[a, b, c]")


def test_masks_named_stem_mask_are_found_in_masks_or_beside_their_images(tmp_path: Path) -> None:
    masks = drawn_masks(20)
    for root, beside in ((tmp_path / "apart", False), (tmp_path / "beside", True)):
        write_data(root, masks, "{stem}_mask.png", beside=beside)
        datamodule = data_module(root, "--data.mask_pattern", "{stem}_mask.png")
        assert datamodule.sample_ids == [f"{n:02d}" for n in range(20)]
        assert [path.name for path in datamodule.catalog.masks] == [f"{n:02d}_mask.png" for n in range(20)]
        assert [path.name for path in datamodule.catalog.images] == [f"{n:02d}.jpg" for n in range(20)]
    # The default pattern finds no mask beside the images, and says what it looked for.
    with pytest.raises(ValueError, match=r"no masks/ folder beside it.*--data\.mask_pattern"):
        find_pairs(tmp_path / "beside")
    (tmp_path / "apart" / "masks" / "00_mask.png").rename(tmp_path / "apart" / "masks" / "00-mask.png")
    with pytest.raises(ValueError, match=r"Image without a mask: .*00\.jpg.*masks/00_mask\.png"):
        data_module(tmp_path / "apart", "--data.mask_pattern", "{stem}_mask.png")
    with pytest.raises(ValueError, match="names JPEG masks"):
        data_module(tmp_path / "apart", "--data.mask_pattern", "{stem}_mask.jpg")


def test_a_declared_class_absent_from_training_weighs_as_the_heaviest_or_not_at_all(tmp_path: Path) -> None:
    write_data(tmp_path, drawn_masks(20))
    names = "[background, a, b, c, spare]"
    # Unweighted: no class weights are computed, and nothing is said.
    cli = main(
        ["--data.data_dir", str(tmp_path), "--data.class_names", names, "--model.balance_classes", "false"], run=False
    )
    assert cli.datamodule.class_weights is None
    assert cli.model.loss.weight is None
    # Weighted: the absent class weighs as the heaviest other class, said in one warning.
    said = r"no pixels of class spare: the model cannot learn it, and its loss weight is [\d.]+, the heaviest"
    with pytest.warns(UserWarning, match=said) as caught:
        cli = main(["--data.data_dir", str(tmp_path), "--data.class_names", names], run=False)
    assert len([warning for warning in caught if "no pixels of class" in str(warning.message)]) == 1
    weights = cli.model.loss.weight.tolist()
    assert weights[4] == max(weights[:4]) and all(np.isfinite(weights))


def test_palette_masks_give_palette_predictions_and_ids(tmp_path: Path) -> None:
    """One tiny fit on palette masks (as Pascal VOC's): its predicted masks are palette PNGs of class
    indices in the training masks' colours, and predictions.csv names each image by its path in predict_dir."""
    masks = []
    for mask in drawn_masks(20):
        image = Image.fromarray(mask)
        image.putpalette([value for color in PALETTE for value in color])
        masks.append(image)
    root = write_data(tmp_path / "data", masks)
    data = ["--data.data_dir", str(root), "--data.image_size", "16", "--data.num_workers", "0"]
    cli = main(["fit", *data, "--trainer.max_epochs", "1", "--model.base_channels", "4", "--model.depth", "1"])
    assert cli.model.mask_palette == COLORS
    new = tmp_path / "new"
    (new / "sub").mkdir(parents=True)
    for name in ("a.jpg", "sub/b.png"):
        Image.open(root / "images" / "00.jpg").resize((30, 20)).save(new / name)
    checkpoint = run_dir(cli.trainer) / "checkpoints" / "best.ckpt"
    predicted = main(["predict", *data, "--data.predict_dir", str(new), "--ckpt_path", str(checkpoint)])
    output = run_dir(predicted.trainer) / "predictions.csv"
    with output.open() as file:
        rows = list(csv.DictReader(file))
    assert [row["sample_id"] for row in rows] == ["a.jpg", "sub/b.png"]
    for row in rows:
        with Image.open(output.parent / row["mask"]) as mask:
            assert mask.mode == "P" and mask.size == (30, 20)
            assert mask.getpalette()[: 3 * len(COLORS)] == [value for color in COLORS for value in color]
            assert set(np.unique(np.asarray(mask)).tolist()) <= {0, 1, 2, 3}
    # Without predict_dir, the test split: each image by its id in splits.csv.
    tested = main(["predict", *data, "--ckpt_path", str(checkpoint)])
    with (run_dir(tested.trainer) / "predictions.csv").open() as file:
        ids = [row["sample_id"] for row in csv.DictReader(file)]
    with (run_dir(cli.trainer) / "splits.csv").open() as file:
        assert ids == [row["sample"] for row in csv.DictReader(file) if row["split"] == "test"]


def test_iou_figure_gives_each_class_a_colour_and_shows_absent_classes_as_absent() -> None:
    classes = [f"class_{index}" for index in range(25)]
    assert len(set(class_colors(25))) == 25
    figures = MaskFigures(classes, ignore_index=255)
    masks = torch.arange(25).repeat_interleave(4).view(1, 10, 10)
    masks[masks == 7] = 0  # no test pixel of class 7
    logits = torch.nn.functional.one_hot(masks, 25).permute(0, 3, 1, 2).float()
    figures.update(logits, (torch.zeros(1, 3, 10, 10, dtype=torch.uint8), masks))
    figure = figures.draw_iou(figures.compute()["confusion"])
    ax = figure.axes[0]
    bars = ax.patches[:25]
    assert len({bar.get_facecolor() for bar in bars}) == 25
    assert bars[7].get_height() == 0
    assert [text.get_text() for text in ax.texts].count(ABSENT) == 1
    assert "1 class absent from them (no IoU)" in ax.get_title()
