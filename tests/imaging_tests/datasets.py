"""Small pydicom datasets built in tests."""

from pydicom.dataset import Dataset


def item(**attributes) -> Dataset:
    """A dataset (a sequence item) with ``attributes`` set by keyword."""
    dataset = Dataset()
    for keyword, value in attributes.items():
        setattr(dataset, keyword, value)
    return dataset
