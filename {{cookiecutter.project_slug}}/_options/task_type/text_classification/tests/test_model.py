"""The text classifier: encoders by name, output shape, padding ignored, class-weighted loss."""

from __future__ import annotations

import pytest
import torch

from {{ cookiecutter.package_name }}.models import TextClassifier
from {{ cookiecutter.package_name }}.models.encoders import ENCODERS, build_encoder

PAD_ID = 0


@pytest.mark.parametrize("encoder", ENCODERS)
def test_encoder_gives_one_logit_per_class_whatever_the_padding(encoder: str) -> None:
    torch.manual_seed(0)
    model = TextClassifier(vocab_size=50, num_classes=4, pad_id=PAD_ID, encoder=encoder, embed_dim=16, hidden_dim=16)
    model.eval()
    token_ids = torch.tensor([[5, 6, 7, PAD_ID], [8, 9, PAD_ID, PAD_ID]])
    logits = model(token_ids)
    assert logits.shape == (2, 4)
    padded = torch.cat([token_ids, torch.full((2, 5), PAD_ID)], dim=1)
    torch.testing.assert_close(model(padded), logits)
    # The shorter text alone gives what it gave in the batch.
    torch.testing.assert_close(model(token_ids[1:, :2]), logits[1:])


def test_unknown_encoder_is_named() -> None:
    with pytest.raises(ValueError, match="Unknown encoder 'rnn'"):
        build_encoder("rnn", 16, 16, 0.1, 1, 2, 64)


def test_transformer_refuses_texts_longer_than_its_positions() -> None:
    model = TextClassifier(vocab_size=50, num_classes=2, encoder="transformer", embed_dim=8, max_positions=4)
    with pytest.raises(ValueError, match="more than max_positions=4"):
        model(torch.ones(1, 5, dtype=torch.long))


def test_padding_embedding_stays_zero_and_class_weights_are_saved() -> None:
    model = TextClassifier(vocab_size=50, num_classes=2, pad_id=3, class_weights=[1.0, 3.0])
    assert model.embedding.weight[3].abs().sum() == 0
    assert model.loss.weight.tolist() == [1.0, 3.0]
    assert "loss.weight" in model.state_dict()
