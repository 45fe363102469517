"""Text the tests share: the jupytext header of a MyST Markdown notebook (what every chapter starts with)."""

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
