#!/usr/bin/python3
"""validate_json.py SCHEMA FILE [--ndjson]: check oakctl's JSON output in FILE
against the JSON Schema SCHEMA (docs/schema/*.json). With --ndjson every
non-empty line is one document (the streaming verbs). Prints what is wrong
and where; exit 0 valid, 1 invalid, 77 when python3-jsonschema is missing."""
import glob
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

try:
    import jsonschema
except ImportError:
    print("SKIP: no python3-jsonschema (tools/install-deps.sh build)")
    sys.exit(77)


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    # the other schemas of the folder, so that "sas.json#/$defs/..." resolves
    # offline (every schema's $id is https://oak.invalid/schema/NAME.json)
    store = {}
    for path in glob.glob(os.path.join(os.path.dirname(sys.argv[1]) or ".", "*.json")):
        with open(path, encoding="utf-8") as f:
            other = json.load(f)
        jsonschema.Draft202012Validator.check_schema(other)
        store[other.get("$id", path)] = other
    jsonschema.Draft202012Validator.check_schema(schema)
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    val = jsonschema.Draft202012Validator(schema, resolver=resolver)
    with open(sys.argv[2], encoding="utf-8") as f:
        text = f.read()
    if "--ndjson" in sys.argv[3:]:
        docs = [(i + 1, l) for i, l in enumerate(text.splitlines()) if l.strip()]
        if not docs:
            print(f"{sys.argv[2]}: no JSON lines at all")
            return 1
    else:
        docs = [(1, text)]
    bad = 0
    for line, doc in docs:
        try:
            obj = json.loads(doc)
        except json.JSONDecodeError as e:
            print(f"{sys.argv[2]}:{line}: not JSON: {e}")
            bad += 1
            continue
        for err in val.iter_errors(obj):
            path = "/".join(str(p) for p in err.absolute_path)
            print(f"{sys.argv[2]}:{line}: at /{path}: {err.message}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
