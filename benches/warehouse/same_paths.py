"""Checks that two path tables (Parquet: path, conversions, nulls, value) hold the same rows.

    python same_paths.py LOCAL.parquet DUCKDB.parquet

Prints the paths, conversions and nulls of the first and how many rows differ; exits 1 when
any does. Used by the benches that time omnitouch against DuckDB running omnitouch's script.
"""
import sys

import duckdb

local, duck = sys.argv[1:3]
q = "SELECT path, conversions, nulls, round(value, 6) FROM '{}'"
diff = duckdb.sql(
    f"SELECT count(*) FROM (({q.format(local)} EXCEPT {q.format(duck)}) "
    f"UNION ALL ({q.format(duck)} EXCEPT {q.format(local)}))"
).fetchall()[0][0]
rows = duckdb.sql(f"SELECT count(*), sum(conversions), sum(nulls) FROM '{local}'").fetchall()[0]
print(f"path tables: {rows[0]} paths, {rows[1]} conversions, {rows[2]} nulls; {diff} rows differ")
sys.exit(1 if diff else 0)
