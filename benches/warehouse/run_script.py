"""Runs omnitouch's DuckDB script in a fresh database file and writes its path table.

    python run_script.py DATABASE SCRIPT.sql PATHS.parquet
"""
import sys

import duckdb

database, script, paths = sys.argv[1:4]
con = duckdb.connect(database)
con.execute("SET enable_progress_bar = false")
with open(script, encoding="utf-8") as f:
    con.execute(f.read())
con.execute(f"COPY (SELECT * FROM omnitouch_paths) TO '{paths}' (FORMAT parquet)")
