"""The procedure catalogue: data model, file loading, validation and import."""
