"""Conditioners, by name: what turns a label (an embedding) or a class's caption (BERT, then a
linear projection) into the code the generator is fed. One per run, built from its settings."""

from __future__ import annotations

import math

import torch
from torch import nn

from embedgan.networks.text import captions, load_bert

LABEL_EMBEDDING_DIM = 100
TEXT_PROJECTION_DIM = 256


class LabelConditioner(nn.Module):
    """nn.Embedding(classes, 100) indexed by the label."""

    out_dim = LABEL_EMBEDDING_DIM

    def __init__(self, num_classes: int):
        super().__init__()
        self.num_classes = num_classes
        self.embedding = nn.Embedding(num_classes, self.out_dim)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        return self.embedding(labels)


class TextConditioner(nn.Module):
    """BERT's last-layer state of the class caption, pooled (`pooling`: its [CLS] state, as the
    notebook reads it, or the mean over its tokens, as sentence encoders such as
    all-MiniLM-L6-v2 are trained), then Linear(hidden, 256); with `code_norm`, each code is
    rescaled to that norm (the noise's expected norm, so that the caption weighs as much).

    `captions`: one per class, or one per class for each of several templates (template-major:
    caption t * classes + c is template t of class c; template 0 is the class's own caption).
    The encoder is fine-tuned with the generator (unless frozen). With BERT's dropout off (the
    default: from_pretrained leaves the model in eval mode), one caption always gives one
    code, so each distinct caption is encoded once per call and the codes are gathered by
    row: identical, value and gradient, to encoding the caption of every image. With
    `dropout`, every image's caption is encoded on its own (its own dropout mask), as the
    notebook's loop would.
    """

    out_dim = TEXT_PROJECTION_DIM

    @property
    def state_dim(self) -> int:
        return self.bert.config.hidden_size

    def __init__(
        self, bert: nn.Module, tokenizer, captions: list[str], num_classes: int, dropout: bool = False,
        pooling: str = "cls", code_norm: float | None = None,
    ):
        super().__init__()
        self.bert = bert
        self.dropout, self.pooling, self.code_norm = dropout, pooling, code_norm
        self.projection = nn.Linear(bert.config.hidden_size, self.out_dim)
        self.tokenizer, self.captions, self.num_classes = tokenizer, captions, num_classes
        tokens = tokenizer(captions, padding=True, return_tensors="pt")
        self.register_buffer("input_ids", tokens["input_ids"], persistent=False)
        self.register_buffer("attention_mask", tokens["attention_mask"], persistent=False)
        self.frozen = not any(p.requires_grad for p in bert.parameters())
        self.frozen_states: torch.Tensor | None = None

    def train(self, mode: bool = True):
        super().train(mode)
        self.bert.train(mode and self.dropout)
        return self

    def states_of(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """BERT's last-layer state of each tokenized caption, pooled."""
        last = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return POOLINGS[self.pooling](last, attention_mask)

    def project(self, states: torch.Tensor) -> torch.Tensor:
        codes = self.projection(states)
        if self.code_norm is None:
            return codes
        return codes * (self.code_norm / codes.norm(dim=1, keepdim=True).clamp_min(1e-12))

    def codes_of(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.project(self.states_of(input_ids, attention_mask))

    def encode(self, rows: torch.Tensor) -> torch.Tensor:
        """Codes of the captions at `rows` of the tokenized class captions."""
        return self.codes_of(self.input_ids[rows], self.attention_mask[rows])

    @property
    def fixed_states(self) -> bool:
        """BERT's weights never change and it has no dropout: its states of the captions are
        computed once (per device), and only the projection trains."""
        return self.frozen and not self.bert.training

    def all_states(self) -> torch.Tensor:
        """The states of every caption, computed once where they are fixed."""
        if self.frozen_states is None or self.frozen_states.device != self.input_ids.device:
            with torch.no_grad():
                self.frozen_states = self.states_of(self.input_ids, self.attention_mask)
        return self.frozen_states

    def caption_codes(self) -> torch.Tensor:
        if self.fixed_states:
            return self.project(self.all_states())
        return self.encode(torch.arange(len(self.captions), device=self.input_ids.device))

    @torch.no_grad()
    def caption_states(self, labels: torch.Tensor, templates: torch.Tensor | None = None) -> torch.Tensor:
        """The pooled encoder states of each label's caption, without gradients: what a
        discriminator with its own projection of the captions judges with."""
        rows = labels if templates is None else templates * self.num_classes + labels
        if self.fixed_states:
            return self.all_states()[rows]
        return self.states_of(self.input_ids[rows], self.attention_mask[rows])

    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        """Codes of any captions (prompts, captions never seen in training)."""
        tokens = self.tokenizer(texts, padding=True, return_tensors="pt").to(self.input_ids.device)
        return self.codes_of(tokens["input_ids"], tokens["attention_mask"])

    def forward(self, labels: torch.Tensor, templates: torch.Tensor | None = None) -> torch.Tensor:
        """Codes of each label's caption (of template `templates`, else the class's own)."""
        rows = labels if templates is None else templates * self.num_classes + labels
        if self.bert.training:  # dropout: a mask of its own for every image's caption
            return self.encode(rows)
        return self.caption_codes()[rows]


def cls_state(last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    return last_hidden_state[:, 0]


def mean_state(last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The mean of the tokens' states, padding left out (sentence-transformers' mean pooling)."""
    mask = attention_mask.unsqueeze(-1).to(last_hidden_state.dtype)
    return (last_hidden_state * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1e-9)


POOLINGS = {"cls": cls_state, "mean": mean_state}


def label_conditioner(settings, classes: tuple[str, ...]) -> nn.Module:
    return LabelConditioner(len(classes))


def text_conditioner(settings, classes: tuple[str, ...]) -> nn.Module:
    tokenizer, bert = load_bert(settings.text_encoder)
    if settings.freeze_encoder:
        bert.requires_grad_(False)
    return TextConditioner(
        bert,
        tokenizer,
        [caption for template in settings.templates for caption in captions(template, classes)],
        len(classes),
        dropout=settings.encoder_dropout,
        pooling=settings.text_pooling,
        # The noise's expected norm: its values are standard normal.
        code_norm=math.sqrt(settings.noise_dim) if settings.scale_codes else None,
    )


CONDITIONERS = {"label": label_conditioner, "text": text_conditioner}


def build_conditioner(settings, classes: tuple[str, ...]) -> nn.Module:
    """The conditioner of a run's Settings (untrained: set the seed first; BERT pretrained)."""
    return CONDITIONERS[settings.conditioning](settings, classes)
