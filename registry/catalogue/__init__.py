"""The list: items, versions in force, import/export, changes, vocabulary."""
