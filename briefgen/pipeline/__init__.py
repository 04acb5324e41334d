"""The pipeline: from a content folder to published files, never naming a format.

- `build`: load and check an issue or pack, build its outline, run the
  requested writers in the registry's order (providers of facts first; a fact
  nobody requested is measured), publish every file together.
- `editions`: one edition of a pack per recipient, through each writer's
  `editions()` (the PDF writer lays the pack out once).
- `publish`: the output folder, temporary `.part` files, renames, the cache.
"""
