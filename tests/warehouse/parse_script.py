"""Parses an `omnitouch sql` script with sqlglot, in the script's dialect, and prints what it
found as JSON. Scripting scaffolding (BEGIN/DECLARE/WHILE/END and Snowflake's EXECUTE
IMMEDIATE block), which sqlglot does not parse, must be exactly the lines omnitouch writes;
every other statement must parse strictly, none taken as an opaque command.

usage: python parse_script.py DIALECT SCRIPT
"""
import sys, re, json, sqlglot
from sqlglot import exp
dialect, path = sys.argv[1:3]
text = open(path, encoding="utf-8").read()
SCAFFOLD = [r"BEGIN", r"END;", r"END WHILE;", r"DECLARE changed (INT64|BIGINT) DEFAULT 1;",
            r"WHILE \(?changed > 0\)? DO", r"EXECUTE IMMEDIATE \$\$", r"\$\$;", r"DECLARE",
            r"changed INTEGER DEFAULT 1;"]
kept, scaffold = [], []
for line in text.splitlines():
    if any(re.fullmatch(p, line.strip()) for p in SCAFFOLD):
        scaffold.append(line.strip())
    else:
        kept.append(line)
# Snowflake Scripting's `SELECT … INTO :variable`, which sqlglot reads as a table.
body = "\n".join(kept).replace(" INTO :changed", "")
statements = [s for s in sqlglot.parse(body, read=dialect, error_level=sqlglot.ErrorLevel.RAISE) if s is not None]
commands = [s.sql(dialect)[:200] for s in statements if isinstance(s, exp.Command)]
created = [s.this.sql(dialect) for s in statements if isinstance(s, exp.Create)]
ordered = [s.sql(dialect) for s in statements if isinstance(s, exp.Create) and "omnitouch_journey_paths" in s.this.sql(dialect)]
print(json.dumps({"statements": len(statements), "commands": commands, "created": created,
                  "scaffold": scaffold, "journey_paths_sql": ordered[0] if ordered else ""}))
