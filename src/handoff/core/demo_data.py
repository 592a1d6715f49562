"""Placeholder: the demo data set is built once requests and notices exist."""


def build() -> None:
    return None
