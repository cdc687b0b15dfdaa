"""Guided request forms: fields defined in the catalogue, validated here, one machinery for all."""
