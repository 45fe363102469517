"""Shared fixtures: a tiny randomly initialised BERT folder (tests only; the book always
fine-tunes a pretrained encoder)."""
from __future__ import annotations

import pytest
import torch

CHARS = list("好吃难贵便宜环境服务菜味道不错差很一般再也来了的是这家我们还会")
TEXTS_POS = ["好吃", "很好吃", "环境不错", "服务很好", "菜很好吃", "便宜好吃", "味道不错", "还会再来"]
TEXTS_NEG = ["难吃", "很难吃", "环境很差", "服务差", "菜难吃", "很贵", "味道很差", "再也不来了"]


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory):
    """A local 'pretrained model' folder: a 2-layer BERT (hidden 32) with random weights and a
    character-level WordPiece tokenizer with [CLS]/[SEP] around every text."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {t: i for i, t in enumerate(specials + CHARS)}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(handle_chinese_chars=True, lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64, pad_token_id=0,
                     hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    folder = tmp_path_factory.mktemp("tiny_bert")
    BertModel(cfg).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


