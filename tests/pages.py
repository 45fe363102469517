"""Text the tests share: the jupytext header of a MyST Markdown notebook (what every chapter starts
with), and the retracted accusation that no page may make again."""

import re

MYST_HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""

# The book once said that the original's t-SNE indexed the LSTM's embeddings with BERT token ids.
# It did not: the report's figure (LSTM.png) comes from the executed cell that uses the LSTM's own
# vocabulary (../shared/reference/original.md). No source and no built page may say or imply it.
TSNE_ACCUSATION = re.compile(r"错了?词表|BERT\s*分词器的\s*(?:token\s*)?编号|不是它标注的那个词|wrong vocabulary"
                             r"|和标签上的词毫无关系", re.IGNORECASE)
